package pruner

import (
	"fmt"
	"os"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// LoadWeights reads a timm-named safetensors file (LoadTimm) for the
// architecture in archPath, an NViT dim file; with archPath "" for the
// architecture the file records (ErrNoArch if it records none).
func LoadWeights(path, archPath string) (*Weights, error) {
	var spec *arch.Spec
	if archPath != "" {
		data, err := os.ReadFile(archPath)
		if err != nil {
			return nil, fmt.Errorf("read arch: %w", err)
		}
		s, err := arch.ParseFile(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", archPath, err)
		}
		spec = &s
	}
	return LoadTimm(path, spec)
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
