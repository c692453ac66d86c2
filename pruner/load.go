package pruner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/internal/jsonstrict"
)

// LoadWeights reads a safetensors file of weights in timm's or NViT's
// naming (detected: DetectFormat) for the architecture in archPath, an NViT
// dim file whose omitted geometry is read off the tensors; with archPath ""
// for the architecture the file records (ErrNoArch if it records none). It
// is Load without heads.
func LoadWeights(path, archPath string) (*Weights, error) {
	l, err := Load(path, LoadOptions{ArchFile: archPath})
	if errors.Is(err, ErrNoArch) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoArch) // the heads are for Load's callers to give
	}
	if err != nil {
		return nil, err
	}
	return l.Weights, nil
}

// LoadOptions say how Load reads a weights file.
type LoadOptions struct {
	// Format is the file's naming; "" detects it (DetectFormat).
	Format Format
	// ArchFile is an architecture file (arch.File JSON: an NViT dim object
	// with optional geometry). Geometry it leaves out (image, patch,
	// channels, classes, extra_tokens) is read off the tensors, not taken
	// from arch.ParseFile's defaults, so a plain (non-distilled) timm file
	// needs no "extra_tokens": 1.
	ArchFile string
	// Heads is the number of heads of a file whose architecture is neither
	// given nor recorded (ReadArch: one for every block with attention, or
	// one per block). Given with an architecture, it must agree with it.
	Heads []int
}

// ArchSource says where Load found a file's architecture.
type ArchSource int

// Where an architecture comes from.
const (
	ArchFromFile    ArchSource = 0 // LoadOptions.ArchFile
	ArchRecorded    ArchSource = 1 // the file's MetadataArch
	ArchFromTensors ArchSource = 2 // ReadArch, with LoadOptions.Heads
)

// String says where, for a person.
func (a ArchSource) String() string {
	switch a {
	case ArchFromFile:
		return "from the architecture file"
	case ArchRecorded:
		return "recorded in the weights file"
	}
	return "read off the tensors"
}

// Loaded is a weights file as Load read it.
type Loaded struct {
	Weights  *Weights
	Format   Format     // the file's naming
	ArchFrom ArchSource // where the architecture came from
}

// Load reads a safetensors file of ViT weights. The architecture is, in
// order: opt.ArchFile's; the one the file records (MetadataArch), which an
// ArchFile must agree with (the shapes cannot tell 6 heads of 64 from 12 of
// 32); or the one ReadArch reads off the tensors with opt.Heads, ErrNoArch
// without them. Weights that do not fit it are ErrArchMismatch.
func Load(path string, opt LoadOptions) (*Loaded, error) {
	var archData []byte
	if opt.ArchFile != "" {
		data, err := os.ReadFile(opt.ArchFile)
		if err != nil {
			return nil, fmt.Errorf("read arch: %w", err)
		}
		archData = data
	}
	f, err := ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Format: opt.Format}
	if l.Format == "" {
		l.Format = DetectFormat(f.Tensors)
	}
	s, src, err := resolveArch(f, l.Format, archData, opt)
	if err != nil {
		if opt.ArchFile != "" && errors.Is(err, errInArchFile) {
			return nil, fmt.Errorf("%s: %w", opt.ArchFile, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l.ArchFrom = src
	if l.Weights, err = fromFormat(f.Tensors, s, l.Format); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// fromFormat reads tensors of format f for s.
func fromFormat(ts map[string]Tensor, s arch.Spec, f Format) (*Weights, error) {
	if f == FormatNViT {
		return FromNViT(ts, s)
	}
	return FromTimm(ts, s)
}

// errInArchFile marks errors about the architecture file's own content.
var errInArchFile = errors.New("arch file")

// resolveArch picks the architecture of f (see Load).
func resolveArch(f *TensorFile, format Format, archData []byte, opt LoadOptions) (arch.Spec, ArchSource, error) {
	a, recorded := f.Metadata[MetadataArch]
	var rec arch.Spec
	if recorded {
		var err error
		if rec, err = arch.ParseFile([]byte(a)); err != nil {
			return rec, 0, fmt.Errorf("recorded architecture: %w", err)
		}
	}
	var s arch.Spec
	var src ArchSource
	switch {
	case archData != nil:
		var err error
		if s, err = archForTensors(archData, f.Tensors, format); err != nil {
			return s, 0, err
		}
		if recorded && !sameArch(rec, s) {
			return s, 0, fmt.Errorf("%w: the file records the architecture %s, not the given %s",
				ErrArchMismatch, archLabel(rec), archLabel(s))
		}
		src = ArchFromFile
	case recorded:
		s, src = rec, ArchRecorded
	default:
		var err error
		s, err = ReadArch(f.Tensors, format, opt.Heads)
		return s, ArchFromTensors, err
	}
	if len(opt.Heads) > 0 {
		if _, err := splitHeadsOf(s, opt.Heads); err != nil {
			return s, 0, err
		}
	}
	return s, src, nil
}

// splitHeadsOf checks that heads (as ReadArch takes them) are s's.
func splitHeadsOf(s arch.Spec, heads []int) ([]arch.Block, error) {
	widths := make([]blockWidths, len(s.Blocks))
	for i, b := range s.Blocks {
		widths[i] = blockWidths{qk: b.Heads * b.QK, v: b.Heads * b.V, mlp: b.MLP}
	}
	bs, err := splitHeads(widths, heads)
	if err != nil {
		return nil, err
	}
	for i, b := range bs {
		if b.Heads != s.Blocks[i].Heads {
			return nil, fmt.Errorf("%w: the architecture has heads %v, not the given %v", ErrArchMismatch, s.Dim().Head, heads)
		}
	}
	return bs, nil
}

// archForTensors parses an architecture file for the tensors ts of format
// f: the geometry the file leaves out is read off the tensors where they
// tell it, NViT's defaults otherwise (arch.ParseFile).
func archForTensors(data []byte, ts map[string]Tensor, f Format) (arch.Spec, error) {
	var file arch.File
	if err := jsonstrict.Decode(data, &file); err != nil {
		return arch.Spec{}, fmt.Errorf("%w: %w", errInArchFile, err)
	}
	if g, _, err := readGeometry(ts, f, file.Channels); err == nil {
		for _, fill := range []struct {
			field *int
			v     int
		}{
			{&file.Image, g.Image}, {&file.Patch, g.Patch}, {&file.Channels, g.Channels},
			{&file.Classes, g.Classes}, {&file.ExtraTokens, g.ExtraTokens},
		} {
			if *fill.field == 0 {
				*fill.field = fill.v
			}
		}
	}
	filled, err := json.Marshal(file)
	if err != nil {
		return arch.Spec{}, err
	}
	s, err := arch.ParseFile(filled)
	if err != nil {
		return s, fmt.Errorf("%w: %w", errInArchFile, err)
	}
	return s, nil
}

// LoadData reads the data named by spec for a model of s's geometry: the
// training set and the test set. spec is "mnist" (LoadMNIST from MNISTDir),
// "cifar10:DIR" (LoadCIFAR10) or "folder:DIR" (LoadImageFolder at s's image
// size and channels; a tenth of the images, at least one, are kept for
// testing). A spec LoadData cannot read is a *DataSpecError; data whose
// images or classes do not fit s are refused.
func LoadData(spec string, s arch.Spec) (train, test *Dataset, err error) {
	kind, dir, _ := strings.Cut(spec, ":")
	switch kind {
	case "mnist":
		d, err := MNISTDir()
		if err != nil {
			return nil, nil, err
		}
		if train, test, err = LoadMNIST(d); err != nil {
			return nil, nil, err
		}
	case "cifar10":
		if dir == "" {
			return nil, nil, &DataSpecError{Spec: spec, Kind: kind, Needs: "the folder of the binary batches"}
		}
		if train, test, err = LoadCIFAR10(dir); err != nil {
			return nil, nil, err
		}
	case "folder":
		if dir == "" {
			return nil, nil, &DataSpecError{Spec: spec, Kind: kind, Needs: "the image folder"}
		}
		all, err := LoadImageFolder(dir, s.Image, s.Channels)
		if err != nil {
			return nil, nil, err
		}
		test, train = all.Split(max(1, all.Len()/10), 1)
	default:
		return nil, nil, &DataSpecError{Spec: spec, Kind: kind}
	}
	if train.Channels != s.Channels || train.Height != s.Image || train.Classes != s.Classes {
		return nil, nil, fmt.Errorf("%s has %d×%d×%d images in %d classes; the model takes %d×%d×%d in %d classes",
			spec, train.Channels, train.Height, train.Width, train.Classes, s.Channels, s.Image, s.Image, s.Classes)
	}
	return train, test, nil
}
