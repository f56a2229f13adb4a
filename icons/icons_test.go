package icons

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// The colour each status icon is painted in (gen.go).
var wantColor = map[Status]color.NRGBA{
	OK:     {0x2e, 0x9d, 0x4f, 0xff},
	Busy:   {0x2f, 0x74, 0xc0, 0xff},
	Stale:  {0xe0, 0xa1, 0x00, 0xff},
	Failed: {0xd2, 0x3c, 0x3c, 0xff},
	Error:  {0x7a, 0x7a, 0x7a, 0xff},
}

const (
	// minShapeDiff is how many of the 256 pixels of two status icons'
	// 16×16 alpha masks must differ, so states differ by shape at tray size.
	minShapeDiff = 12
	// minCoverage is how many of the 256 pixels of a 16×16 icon must be
	// mostly opaque (more than 25%) for it to stay legible.
	minCoverage = 256 / 4
)

func decode(t *testing.T, name string, b []byte, size int) *image.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, size, size) {
		t.Fatalf("%s: bounds %v, want %dx%d", name, got, size, size)
	}
	out := image.NewNRGBA(img.Bounds())
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// mask16 box-filters img's alpha down to 16×16 and thresholds it at 50%.
func mask16(img *image.NRGBA) [16][16]bool {
	var m [16][16]bool
	k := img.Bounds().Dx() / 16
	for y := range 16 {
		for x := range 16 {
			sum := 0
			for sy := range k {
				for sx := range k {
					sum += int(img.NRGBAAt(x*k+sx, y*k+sy).A)
				}
			}
			m[y][x] = sum >= 128*k*k
		}
	}
	return m
}

func count(m [16][16]bool) int {
	n := 0
	for _, row := range m {
		for _, v := range row {
			if v {
				n++
			}
		}
	}
	return n
}

func TestSizes(t *testing.T) {
	for _, s := range All {
		decode(t, string(s), PNG(s), 64)
		decode(t, string(s)+" template", TemplatePNG(s), 64)
	}
	decode(t, "app", App(), 512)
}

func TestUnknownStatus(t *testing.T) {
	if !bytes.Equal(PNG("nonsense"), PNG(Error)) {
		t.Error("PNG of an unknown status is not Error's icon")
	}
	if !bytes.Equal(TemplatePNG(""), TemplatePNG(Error)) {
		t.Error("TemplatePNG of an unknown status is not Error's icon")
	}
	if bytes.Equal(PNG(OK), PNG(Error)) {
		t.Error("OK and Error share an icon")
	}
}

// TestColor checks every visible pixel has its status's colour, and that
// the colours differ clearly between statuses.
func TestColor(t *testing.T) {
	for _, s := range All {
		img := decode(t, string(s), PNG(s), 64)
		want := wantColor[s]
		bad := 0
		for y := range 64 {
			for x := range 64 {
				c := img.NRGBAAt(x, y)
				if c.A > 0 && (c.R != want.R || c.G != want.G || c.B != want.B) {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d pixels not in %v", s, bad, want)
		}
	}
	for i, a := range All {
		for _, b := range All[i+1:] {
			ca, cb := wantColor[a], wantColor[b]
			dr, dg, db := int(ca.R)-int(cb.R), int(ca.G)-int(cb.G), int(ca.B)-int(cb.B)
			if d2 := dr*dr + dg*dg + db*db; d2 < 60*60 {
				t.Errorf("%s and %s colours too close (distance² %d)", a, b, d2)
			}
		}
	}
}

// TestShapesDiffer checks the status icons are told apart by shape alone
// (for colour-blind users and template icons), at tray size.
func TestShapesDiffer(t *testing.T) {
	masks := map[Status][16][16]bool{}
	for _, s := range All {
		masks[s] = mask16(decode(t, string(s), PNG(s), 64))
	}
	for i, a := range All {
		for _, b := range All[i+1:] {
			diff := 0
			for y := range 16 {
				for x := range 16 {
					if masks[a][y][x] != masks[b][y][x] {
						diff++
					}
				}
			}
			t.Logf("%s vs %s: %d pixels differ at 16×16", a, b, diff)
			if diff < minShapeDiff {
				t.Errorf("%s and %s: only %d pixels of the 16×16 masks differ, want ≥ %d", a, b, diff, minShapeDiff)
			}
		}
	}
}

func TestTemplates(t *testing.T) {
	for _, s := range All {
		tmpl := decode(t, string(s)+" template", TemplatePNG(s), 64)
		col := decode(t, string(s), PNG(s), 64)
		for y := range 64 {
			for x := range 64 {
				c := tmpl.NRGBAAt(x, y)
				if c.A > 0 && (c.R != 0 || c.G != 0 || c.B != 0) {
					t.Fatalf("%s template: pixel (%d,%d) is %v, want black", s, x, y, c)
				}
				if c.A != col.NRGBAAt(x, y).A {
					t.Fatalf("%s template: alpha at (%d,%d) differs from the coloured icon", s, x, y)
				}
			}
		}
	}
}

func TestLegibleAt16(t *testing.T) {
	for _, s := range All {
		for _, v := range []struct {
			name string
			b    []byte
		}{{string(s), PNG(s)}, {string(s) + " template", TemplatePNG(s)}} {
			n := count(mask16(decode(t, v.name, v.b, 64)))
			t.Logf("%s: %d/256 opaque at 16×16", v.name, n)
			if n <= minCoverage {
				t.Errorf("%s: %d/256 pixels opaque at 16×16, want > %d", v.name, n, minCoverage)
			}
		}
	}
}

// TestGenerated runs gen.go into a temporary directory and requires the
// committed PNGs to match it byte for byte.
func TestGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "run", "gen.go", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, out)
	}

	generated, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("*.png")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range generated {
		generated[i] = filepath.Base(p)
	}
	if !slices.Equal(generated, committed) {
		t.Fatalf("gen.go writes %v, the package has %v", generated, committed)
	}
	embedded, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range embedded {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, committed) {
		t.Errorf("embedded %v, the package has %v", names, committed)
	}

	for _, name := range committed {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from gen.go's output (%s); run go generate ./icons/", name, samePixels(got, want))
		}
	}
}

// samePixels says whether two PNGs that differ as bytes hold the same image,
// which points at a change in the PNG encoder rather than in the drawing.
func samePixels(a, b []byte) string {
	ia, errA := png.Decode(bytes.NewReader(a))
	ib, errB := png.Decode(bytes.NewReader(b))
	if errA != nil || errB != nil || ia.Bounds() != ib.Bounds() {
		return "images differ"
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.NRGBAModel.Convert(ia.At(x, y)) != color.NRGBAModel.Convert(ib.At(x, y)) {
				return fmt.Sprintf("pixels differ, first at (%d,%d)", x, y)
			}
		}
	}
	return "same pixels, different encoding"
}
