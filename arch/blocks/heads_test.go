package blocks

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestModelHeads checks each head of ModelHeads against the float64
// reference: refModel returns (head + head_dist)/2 for a distilled model, so
// with the other head's weights and biases read as zeros it returns half of
// one head.
func TestModelHeads(t *testing.T) {
	const batch = 2
	dt := dtypes.Float32
	for _, s := range testSpecs() {
		t.Run(s.Name, func(t *testing.T) {
			input := normals(rand.New(rand.NewPCG(12, 13)), batch*s.Channels*s.Image*s.Image, 0, 1)
			ctx, in, got := run(t, dt, func(ctx *context.Context, images *graph.Node) *graph.Node {
				return graph.Concatenate(ModelHeads(ctx, images, s), -1) // Shape: [batch, heads·classes]
			}, input, batch, s.Channels, s.Image, s.Image)
			heads := []string{ScopeHead}
			if s.Distilled() {
				heads = append(heads, ScopeHeadDist)
			}
			if len(got) != batch*len(heads)*s.Classes {
				t.Fatalf("got %d logits, want %d×%d×%d", len(got), batch, len(heads), s.Classes)
			}
			p := lookup(t, ctx)
			for i, head := range heads {
				only := func(path string) []float64 {
					v := p(path)
					if other := strings.HasPrefix(path, ScopeHead); other && !strings.HasPrefix(path, head+"/") {
						return make([]float64, len(v))
					}
					return v
				}
				want := refModel(only, in, batch, s)
				if s.Distilled() {
					for j := range want {
						want[j] *= 2
					}
				}
				var mine []float64
				for b := range batch {
					row := got[b*len(heads)*s.Classes:]
					mine = append(mine, row[i*s.Classes:(i+1)*s.Classes]...)
				}
				checkClose(t, dt, mine, want)
			}
		})
	}
}
