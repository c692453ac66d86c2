package pruner

import (
	stdctx "context"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"

	"github.com/nvitprof/nvitprof/arch"
)

// Files a trained model is written to (TrainModel), ready for a pruning run.
const (
	ModelWeights = "model.safetensors" // timm naming
	ModelArch    = "model.json"        // NViT dim file
)

// Trained is a model trained from scratch.
type Trained struct {
	Weights *Weights
	Train   TrainResult
	Test    EvalResult // on the test set
}

// TrainModel trains s from scratch (Init with seed, then Train on train
// with opt), scores it on test, and writes it into dir as ModelWeights and
// ModelArch.
func TrainModel(ctx stdctx.Context, backend backends.Backend, s arch.Spec, seed int64, train, test *Dataset, opt TrainOptions, dir string) (*Trained, error) {
	w, err := Init(backend, s, seed)
	if err != nil {
		return nil, err
	}
	w, res, err := Train(ctx, backend, w, train, opt)
	if err != nil {
		return nil, err
	}
	ev, err := Evaluate(ctx, backend, w, test, 500)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := SaveTimm(filepath.Join(dir, ModelWeights), w); err != nil {
		return nil, err
	}
	a, err := arch.MarshalFile(s)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(filepath.Join(dir, ModelArch), func(w io.Writer) error { _, err := w.Write(append(a, '\n')); return err }); err != nil {
		return nil, err
	}
	return &Trained{Weights: w, Train: res, Test: ev}, nil
}
