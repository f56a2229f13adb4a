//go:build ignore

// Command gen draws lockwatch's icons and writes them as PNG files.
//
// Usage, from the icons directory (go generate runs it this way):
//
//	go run gen.go [outdir]
//
// outdir defaults to the current directory. The drawing is done in integer
// arithmetic on a 4× supersampled grid, then box-filtered down, so the output
// is byte-for-byte reproducible on every platform; icons_test.go checks that
// the committed PNGs match a fresh run.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// ss is the supersampling factor: each output pixel averages ss×ss samples.
const ss = 4

// Coordinates of shapes are integers in eighths of an output pixel ("q").
// The centre of sample (X, Y) of the supersampled canvas is at
// ((2X+1)·q, (2Y+1)·q) because one sample is 2q wide when ss is 4.
const qPerPx = 2 * ss

// shape reports whether a sample centre, in q, lies inside it.
type shape interface {
	in(x, y int64) bool
}

// circle is a filled disc.
type circle struct{ cx, cy, r int64 }

func (c circle) in(x, y int64) bool {
	dx, dy := x-c.cx, y-c.cy
	return dx*dx+dy*dy <= c.r*c.r
}

// ring is an annulus between radii r0 < r1; upper keeps only its top half.
type ring struct {
	cx, cy, r0, r1 int64
	upper          bool
}

func (c ring) in(x, y int64) bool {
	if c.upper && y > c.cy {
		return false
	}
	dx, dy := x-c.cx, y-c.cy
	d := dx*dx + dy*dy
	return d >= c.r0*c.r0 && d <= c.r1*c.r1
}

// rrect is a rectangle [x0,x1]×[y0,y1] with corners rounded by radius r.
type rrect struct{ x0, y0, x1, y1, r int64 }

func (b rrect) in(x, y int64) bool {
	if x < b.x0 || x > b.x1 || y < b.y0 || y > b.y1 {
		return false
	}
	cx := min(max(x, b.x0+b.r), b.x1-b.r)
	cy := min(max(y, b.y0+b.r), b.y1-b.r)
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= b.r*b.r
}

// capsule is a line segment from a to b stroked with round caps, half-width r.
type capsule struct{ ax, ay, bx, by, r int64 }

func (c capsule) in(x, y int64) bool {
	vx, vy := c.bx-c.ax, c.by-c.ay
	px, py := x-c.ax, y-c.ay
	l2 := vx*vx + vy*vy
	dot := px*vx + py*vy
	switch {
	case l2 == 0 || dot <= 0:
		return px*px+py*py <= c.r*c.r
	case dot >= l2:
		qx, qy := x-c.bx, y-c.by
		return qx*qx+qy*qy <= c.r*c.r
	}
	// Squared distance to the line is (|p|²·l² − dot²)/l²; compare without
	// dividing. The products stay far below 2⁶³ for canvases of this size.
	return (px*px+py*py)*l2-dot*dot <= c.r*c.r*l2
}

// union is inside when any of its members is.
type union []shape

func (u union) in(x, y int64) bool {
	for _, s := range u {
		if s.in(x, y) {
			return true
		}
	}
	return false
}

// layer paints shape in an opaque colour, or erases it when erase is set.
type layer struct {
	sh    shape
	col   color.RGBA
	erase bool
}

// grid places design coordinates on a canvas: a design point v becomes
// off + v·scale pixels. Values are rounded to q once, when shapes are built.
type grid struct{ scale, offX, offY float64 }

func (g grid) qx(v float64) int64 { return q(float64(v*g.scale) + g.offX) }
func (g grid) qy(v float64) int64 { return q(float64(v*g.scale) + g.offY) }
func (g grid) ql(v float64) int64 { return q(float64(v * g.scale)) }

// q converts pixels to q. The explicit conversions above keep the compiler
// from fusing multiply and add, which could change rounding per platform.
func q(px float64) int64 { return int64(math.Round(float64(px * qPerPx))) }

func (g grid) circle(cx, cy, r float64) circle {
	return circle{g.qx(cx), g.qy(cy), g.ql(r)}
}

func (g grid) rect(x0, y0, x1, y1, r float64) rrect {
	return rrect{g.qx(x0), g.qy(y0), g.qx(x1), g.qy(y1), g.ql(r)}
}

func (g grid) capsule(ax, ay, bx, by, r float64) capsule {
	return capsule{g.qx(ax), g.qy(ay), g.qx(bx), g.qy(by), g.ql(r)}
}

func (g grid) arch(cx, cy, r0, r1 float64) ring {
	return ring{g.qx(cx), g.qy(cy), g.ql(r0), g.ql(r1), true}
}

// The padlock is designed on a 64-unit square. Its body is a rounded
// rectangle; the shackle is a half ring on two legs.
const (
	bodyX0, bodyY0, bodyX1, bodyY1 = 8, 29, 56, 61
	bodyR                          = 6
	shackleR1                      = 16       // outer radius of the shackle arch
	shackleR0                      = 8.5      // inner radius
	closedY                        = 25       // arch centre when closed
	openY                          = 17       // arch centre when lifted
	markX, markY                   = 32, 45.5 // centre of the mark in the body
)

// body returns the padlock body.
func body(g grid) shape { return g.rect(bodyX0, bodyY0, bodyX1, bodyY1, bodyR) }

// shackle returns the closed shackle, or when open one lifted clear of the
// body on the right while its left leg stays in the lock.
func shackle(g grid, open bool) shape {
	cy := float64(closedY)
	rightEnd := float64(bodyY0 + 2)
	if open {
		cy = openY
		rightEnd = openY + 3
	}
	l0, l1 := float64(32-shackleR1), float64(32-shackleR0)
	r0, r1 := float64(32+shackleR0), float64(32+shackleR1)
	return union{
		g.arch(32, cy, shackleR0, shackleR1),
		g.rect(l0, cy, l1, bodyY0+2, 0),
		g.rect(r0, cy, r1, rightEnd, 0),
	}
}

// A mark is cut out of the padlock body so that it changes the icon's
// shape, not just its colour, and shows the panel through it.
type mark int

const (
	plain mark = iota
	dots       // busy: three dots, "working…"
	bang       // failed: "!"
	cross      // error: "×"
)

func markShape(g grid, m mark) shape {
	switch m {
	case dots:
		return union{
			g.circle(markX-14, markY, 5),
			g.circle(markX, markY, 5),
			g.circle(markX+14, markY, 5),
		}
	case bang:
		return union{
			g.capsule(markX, markY-10, markX, markY+2, 3.75),
			g.circle(markX, markY+9.5, 4),
		}
	case cross:
		const d = 8
		return union{
			g.capsule(markX-d, markY-d, markX+d, markY+d, 3.5),
			g.capsule(markX-d, markY+d, markX+d, markY-d, 3.5),
		}
	}
	return nil
}

// status describes one tray icon.
type status struct {
	name string
	col  color.RGBA
	open bool
	mark mark
}

var statuses = []status{
	{"ok", rgb(0x2e9d4f), false, plain},
	{"busy", rgb(0x2f74c0), false, dots},
	{"stale", rgb(0xe0a100), true, plain},
	{"failed", rgb(0xd23c3c), false, bang},
	{"error", rgb(0x7a7a7a), false, cross},
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// statusLayers draws a 64×64 status icon in col.
func statusLayers(s status, col color.RGBA) []layer {
	g := grid{scale: 1}
	ls := []layer{
		{sh: shackle(g, s.open), col: col},
		{sh: body(g), col: col},
	}
	if m := markShape(g, s.mark); m != nil {
		ls = append(ls, layer{sh: m, erase: true})
	}
	return ls
}

// appLayers draws the 512×512 application icon: a white padlock with a
// keyhole on a dark blue rounded square, and an amber magnifier over it.
func appLayers() []layer {
	var (
		bg    = rgb(0x1f3a5f)
		white = rgb(0xffffff)
		amber = rgb(0xe0a100)
		c     = grid{scale: 1}
		// The padlock spans design y 9…61; centre it, a little raised.
		g = grid{scale: 5.5, offX: 256 - 32*5.5, offY: 248 - 35*5.5}
	)
	const (
		lx, ly = 356, 350 // magnifier lens centre, in pixels
		lr     = 58       // lens radius to the middle of the rim
		rim    = 13       // half-width of the rim
		halo   = 14       // background gap around the magnifier
	)
	hx, hy := float64(lx+lr+24), float64(ly+lr+24) // end of the handle
	d := float64(lr) / math.Sqrt2                  // rim point towards the handle
	handle := func(extra float64) shape {
		return c.capsule(lx+d, ly+d, hx, hy, 18+extra)
	}
	return []layer{
		{sh: c.rect(16, 16, 496, 496, 96), col: bg},
		{sh: shackle(g, false), col: white},
		{sh: body(g), col: white},
		{sh: union{ // keyhole
			g.circle(32, 42, 4.5),
			g.capsule(32, 42, 32, 51, 2.25),
		}, col: bg},
		{sh: union{c.circle(lx, ly, lr+rim+halo), handle(halo)}, col: bg},
		{sh: union{c.circle(lx, ly, lr+rim), handle(0)}, col: amber},
		{sh: c.circle(lx, ly, lr-rim), col: bg},
	}
}

// render paints layers on a transparent size×size canvas at ss× and
// box-filters it down.
func render(size int, layers []layer) *image.NRGBA {
	n := size * ss
	hi := image.NewRGBA(image.Rect(0, 0, n, n))
	draw.Draw(hi, hi.Bounds(), image.Transparent, image.Point{}, draw.Src)
	for _, l := range layers {
		col := l.col
		if l.erase {
			col = color.RGBA{}
		}
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				if l.sh.in(int64(2*x+1), int64(2*y+1)) {
					hi.SetRGBA(x, y, col)
				}
			}
		}
	}

	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// hi is premultiplied; average it, then un-premultiply.
			var r, g, b, a int
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					p := hi.RGBAAt(x*ss+sx, y*ss+sy)
					r += int(p.R)
					g += int(p.G)
					b += int(p.B)
					a += int(p.A)
				}
			}
			if a == 0 {
				continue
			}
			out.SetNRGBA(x, y, color.NRGBA{
				R: uint8((r*255 + a/2) / a),
				G: uint8((g*255 + a/2) / a),
				B: uint8((b*255 + a/2) / a),
				A: uint8((a + ss*ss/2) / (ss * ss)),
			})
		}
	}
	return out
}

func write(dir, name string, img image.Image) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
}

func main() {
	dir := "."
	switch len(os.Args) {
	case 1:
	case 2:
		dir = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: go run gen.go [outdir]")
		os.Exit(2)
	}
	black := color.RGBA{A: 0xff}
	for _, s := range statuses {
		if err := write(dir, s.name+".png", render(64, statusLayers(s, s.col))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := write(dir, s.name+"_template.png", render(64, statusLayers(s, black))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := write(dir, "app.png", render(512, appLayers())); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
