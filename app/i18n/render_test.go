package i18n_test

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// render draws text in a label as Fyne draws it (its software painter,
// with the same font fallback to the system's fonts as on screen).
func render(t *testing.T, text string) image.Image {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(text))
	w.Resize(fyne.NewSize(240, 48))
	return w.Canvas().Capture()
}

func same(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// Chinese and Japanese text renders as glyphs, not as missing-glyph boxes:
// Fyne's bundled font has no CJK, and falls back to the system's fonts
// (Debian's fonts-noto-cjk, which make deps installs). A box looks the same
// for every character, so two different words drawn as boxes are the same
// picture, and the same as two private-use characters no font has.
func TestCJKRendersAsGlyphs(t *testing.T) {
	test.NewTempApp(t)
	boxes := render(t, "\ue000\ue001")
	for _, pair := range [][2]string{{"終了", "設定"}, {"退出", "设置"}, {"ロック", "リポ"}} {
		a, b := render(t, pair[0]), render(t, pair[1])
		if same(a, boxes) || same(b, boxes) || same(a, b) {
			dir := t.TempDir()
			for name, img := range map[string]image.Image{"a.png": a, "b.png": b, "boxes.png": boxes} {
				f, _ := os.Create(filepath.Join(dir, name))
				png.Encode(f, img)
				f.Close()
			}
			t.Errorf("%q and %q render as missing-glyph boxes (pictures in %s); install fonts-noto-cjk (make deps)", pair[0], pair[1], dir)
		}
	}
}
