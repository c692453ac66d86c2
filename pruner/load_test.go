package pruner

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// TestLoadWeights: weights load for an architecture file or for the one
// they record; a file recording none needs one (ErrNoArch), and an
// architecture the tensors do not fit is ErrArchMismatch.
func TestLoadWeights(t *testing.T) {
	s := arch.Spec{Name: "m", Image: 8, Patch: 4, Channels: 1, Classes: 3, ExtraTokens: 1, EMB: 8,
		Blocks: []arch.Block{{Heads: 2, QK: 4, V: 4, MLP: 8}}}
	w := randomWeights(t, s, 5)
	dir := t.TempDir()
	recorded := filepath.Join(dir, "m.safetensors")
	if err := SaveTimm(recorded, w); err != nil {
		t.Fatal(err)
	}
	ts, err := ToTimm(w)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare.safetensors")
	if err := SaveSafetensors(bare, &TensorFile{Tensors: ts}); err != nil {
		t.Fatal(err)
	}
	writeArch := func(name string, s arch.Spec) string {
		a, err := arch.MarshalFile(s)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, a, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	sArch := writeArch("m.json", s)
	wider := s.Clone()
	wider.Blocks[0].MLP = 16
	widerArch := writeArch("wider.json", wider)

	for _, tc := range []struct {
		name, path, arch string
		is               error  // errors.Is, or nil to load
		want             string // in the error
	}{
		{"recorded", recorded, "", nil, ""},
		{"bare with arch", bare, sArch, nil, ""},
		{"bare without arch", bare, "", ErrNoArch, bare},
		{"recorded, other arch", recorded, widerArch, ErrArchMismatch, "MLP [16]"},
		{"bare, other arch", bare, widerArch, ErrArchMismatch, "mlp.fc1"},
		{"no arch file", recorded, filepath.Join(dir, "none.json"), os.ErrNotExist, "read arch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadWeights(tc.path, tc.arch)
			if tc.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !sameArch(got.Spec, s) || len(w.Values["head/weights"]) == 0 || !slices.Equal(got.Values["head/weights"], w.Values["head/weights"]) {
					t.Errorf("loaded %s, not the saved weights", formatDim(got.Spec))
				}
				return
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %v mentioning %q", err, tc.is, tc.want)
			}
		})
	}
}

// imageFolder writes two classes of n 8×8 grey PNGs each: bright top half
// ("top") or bright bottom half ("bottom").
func imageFolder(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for class, top := range map[string]bool{"top": true, "bottom": false} {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for y := range 8 {
				for x := range 8 {
					v := uint8((x*37 + y*11 + i*23) % 90)
					if (y < 4) == top {
						v += 150
					}
					img.SetGray(x, y, color.Gray{v})
				}
			}
			f, err := os.Create(filepath.Join(dir, class, string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return dir
}

// tinySpec takes imageFolder's images: 8×8 grey in two classes.
var tinySpec = arch.Spec{Name: "tiny", Image: 8, Patch: 4, Channels: 1, Classes: 2, ExtraTokens: 1, EMB: 8,
	Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 4, V: 4, MLP: 8})}

// TestLoadData: an image folder of 2 × 15 images keeps max(1, 30/10) = 3
// for testing; specs LoadData cannot read are DataSpecErrors saying what is
// missing; images of another geometry are refused naming both.
func TestLoadData(t *testing.T) {
	folder := "folder:" + imageFolder(t, 15)
	train, test, err := LoadData(folder, tinySpec)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 27 || test.Len() != 3 || train.Classes != 2 || train.Height != 8 {
		t.Errorf("%d training and %d test images in %d classes of %d pixels high; want 27 and 3 in 2 of 8",
			train.Len(), test.Len(), train.Classes, train.Height)
	}
	for _, tc := range []struct {
		spec        string
		kind, needs string
	}{
		{"folder", "folder", "the image folder"},
		{"cifar10:", "cifar10", "the folder of the binary batches"},
		{"imagenet:/data", "imagenet", ""},
	} {
		var de *DataSpecError
		if _, _, err := LoadData(tc.spec, tinySpec); !errors.As(err, &de) || de.Spec != tc.spec || de.Kind != tc.kind || de.Needs != tc.needs {
			t.Errorf("%q: %v (%+v), want kind %q needing %q", tc.spec, err, de, tc.kind, tc.needs)
		}
	}
	three := tinySpec.Clone()
	three.Classes = 3
	want := "has 1×8×8 images in 2 classes; the model takes 1×8×8 in 3 classes"
	if _, _, err := LoadData(folder, three); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("another number of classes: %v, want %q", err, want)
	}
}

// TestTrainModel trains tinySpec a few steps and reads back what it wrote.
func TestTrainModel(t *testing.T) {
	train, test, err := LoadData("folder:"+imageFolder(t, 15), tinySpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	opt := TrainOptions{Steps: 5, BatchSize: 8, LR: 1e-3, Warmup: 1, Seed: 1}
	res, err := TrainModel(context.Background(), backend, tinySpec, 1, train, test, opt, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Train.Steps != 5 || res.Train.Examples != 40 || res.Test.N != 3 {
		t.Errorf("trained %d steps on %d images, tested on %d; want 5, 40, 3", res.Train.Steps, res.Train.Examples, res.Test.N)
	}
	w, err := LoadWeights(filepath.Join(dir, ModelWeights), filepath.Join(dir, ModelArch))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range res.Weights.Values {
		if !slices.Equal(w.Values[k], v) {
			t.Errorf("%s: written weights differ from the trained ones", k)
		}
	}
}

func TestParseGroupSizes(t *testing.T) {
	for _, tc := range []struct {
		text   string
		want   GroupSizes
		reason string // in the error; "" for none
	}{
		{"", GroupSizes{}, ""},
		{"emb=16,heads=2,qk=8,v=8,mlp=16", NViTGroupSizes, ""},
		{" MLP=4, head=1,qk=2 ,v=3,emb=5", GroupSizes{EMB: 5, Heads: 1, QK: 2, V: 3, MLP: 4}, ""},
		{"emb=2", GroupSizes{}, "give all five"},
		{"emb=0,heads=1,qk=1,v=1,mlp=1", GroupSizes{}, "N ≥ 1"},
		{"emb", GroupSizes{}, "dim=N"},
		{"emb=1,heads=1,qk=1,v=1,mlp=1,ffn=2", GroupSizes{}, `unknown dimension "ffn"`},
	} {
		got, err := ParseGroupSizes(tc.text)
		var ge *GroupSizesError
		switch {
		case tc.reason == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %+v, %v; want %+v", tc.text, got, err, tc.want)
		case tc.reason != "" && (!errors.As(err, &ge) || ge.Text != tc.text || !strings.Contains(ge.Reason, tc.reason)):
			t.Errorf("%q: error %v, want a GroupSizesError saying %q", tc.text, err, tc.reason)
		}
	}
}
