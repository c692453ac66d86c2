package pruner

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"

	"github.com/nvitprof/nvitprof/arch"
)

// Format is a naming and layout of ViT weights in a safetensors file.
type Format string

// The formats nvitprof reads and writes.
const (
	FormatTimm Format = "timm" // timm's DeiT naming (ToTimm)
	FormatNViT Format = "nvit" // NViT's pruned model class (ToNViT)
)

// ParseFormat reads a format name: "timm" or "nvit", or "" and "auto" for
// the zero Format (detect it from the tensors).
func ParseFormat(name string) (Format, error) {
	switch f := Format(name); f {
	case FormatTimm, FormatNViT:
		return f, nil
	case "", "auto":
		return "", nil
	}
	return "", fmt.Errorf("pruner: unknown weights format %q: want timm, nvit or auto", name)
}

// DetectFormat is the naming of ts: FormatNViT if it holds the separate
// query projection or the token mask of NViT's pruned attention
// (blocks.{i}.attn.qkv.Q.weight, blocks.{i}.attn.qkv.token_mask; every
// block of NViT's class has attention), FormatTimm otherwise.
func DetectFormat(ts map[string]Tensor) Format {
	for name := range ts {
		if m := blockTensor.FindStringSubmatch(name); m != nil && (m[2] == "attn.qkv.Q.weight" || m[2] == "attn.qkv.token_mask") {
			return FormatNViT
		}
	}
	return FormatTimm
}

// blockTensor matches the name of a block's tensor: its index and suffix.
var blockTensor = regexp.MustCompile(`^blocks\.(\d+)\.(.+)$`)

// nvitChannels is the number of input channels of NViT's pruned class: its
// PatchEmbed is built without in_chans, which defaults to 3 (NViT
// nvit/models.py:93 and :140).
const nvitChannels = 3

// ReadArch reads the architecture of weights in format f off the shapes of
// their tensors. The shapes tell
//
//   - the patch size and input channels (timm's convolution [EMB, C, P, P];
//     NViT's 1×1 kernel holds P·P·C, read with C = 3, as NViT builds it),
//   - EMB, the tokens (cls, plus dist when there is a dist_token) and from
//     pos_embed's token count the image size,
//   - the classes (head.weight), the depth (the highest block index), and
//     per block whether it has attention and an MLP, heads·QK, heads·V and
//     the MLP width;
//
// they do not tell the number of heads: 6 heads of QK 64 and 12 of QK 32
// have the same tensors. heads gives it: one number for every block with
// attention, or one per block. Without it ReadArch returns ErrNoArch (unless
// no block has attention), with the widths it read. A block that has no
// tensor at all after the last one that has some is not seen.
func ReadArch(ts map[string]Tensor, f Format, heads []int) (arch.Spec, error) {
	g, emb, err := readGeometry(ts, f, 0)
	if err != nil {
		return arch.Spec{}, err
	}
	widths, err := readWidths(ts, f)
	if err != nil {
		return arch.Spec{}, err
	}
	blocks, err := splitHeads(widths, heads)
	if err != nil {
		return arch.Spec{}, err
	}
	s := g.Model("", emb, blocks)
	if err := s.Validate(); err != nil {
		return arch.Spec{}, fmt.Errorf("pruner: the tensors read as %s: %w", archLabel(s), err)
	}
	return s, nil
}

// blockWidths is what the tensors of one block tell: heads·QK, heads·V and
// the MLP width (0 for a sub-block that is absent).
type blockWidths struct{ qk, v, mlp int }

// shapeOf returns the shape of tensor name, or an error naming the format.
func shapeOf(ts map[string]Tensor, f Format, name string, rank int) ([]int, error) {
	t, ok := ts[name]
	if !ok {
		return nil, fmt.Errorf("pruner: no tensor %s: not ViT weights in %s naming", name, f)
	}
	if len(t.Shape) != rank {
		return nil, fmt.Errorf("pruner: tensor %s has shape %v, not of rank %d as in %s naming", name, t.Shape, rank, f)
	}
	return t.Shape, nil
}

// readGeometry reads the input geometry and EMB off ts. channels, if not 0,
// is the number of input channels, which NViT's patch kernel folds into its
// width.
func readGeometry(ts map[string]Tensor, f Format, channels int) (arch.Geometry, int, error) {
	var g arch.Geometry
	pe, err := shapeOf(ts, f, "patch_embed.proj.weight", 4)
	if err != nil {
		return g, 0, err
	}
	emb := pe[0]
	switch f {
	case FormatNViT:
		if pe[2] != 1 || pe[3] != 1 {
			return g, 0, fmt.Errorf("pruner: tensor patch_embed.proj.weight has shape %v; NViT's patch embedding is a 1×1 convolution, [EMB, P·P·C, 1, 1]", pe)
		}
		g.Channels = cmp0(channels, nvitChannels)
		side := int(math.Round(math.Sqrt(float64(pe[1]) / float64(g.Channels))))
		if side*side*g.Channels != pe[1] {
			return g, 0, fmt.Errorf("pruner: tensor patch_embed.proj.weight has shape %v: %d inputs are not P·P·%d for any patch size P", pe, pe[1], g.Channels)
		}
		g.Patch = side
	default:
		if pe[2] != pe[3] {
			return g, 0, fmt.Errorf("pruner: tensor patch_embed.proj.weight has shape %v, not a square patch [EMB, C, P, P]", pe)
		}
		g.Channels, g.Patch = pe[1], pe[2]
	}
	if _, ok := ts["cls_token"]; !ok {
		return g, 0, fmt.Errorf("pruner: no tensor cls_token: nvitprof's ViTs classify from a cls token")
	}
	g.ExtraTokens = 1
	if _, ok := ts["dist_token"]; ok {
		g.ExtraTokens = 2
	}
	pos, err := shapeOf(ts, f, "pos_embed", 3)
	if err != nil {
		return g, 0, err
	}
	patches := pos[1] - g.ExtraTokens
	side := int(math.Round(math.Sqrt(float64(max(patches, 0)))))
	if patches < 1 || side*side != patches {
		return g, 0, fmt.Errorf("pruner: tensor pos_embed has shape %v: %d tokens less %d extra tokens are not a square number of patches", pos, pos[1], g.ExtraTokens)
	}
	g.Image = side * g.Patch
	head, err := shapeOf(ts, f, "head.weight", 2)
	if err != nil {
		return g, 0, err
	}
	g.Classes = head[0]
	return g, emb, nil
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// readWidths reads every block's widths off ts.
func readWidths(ts map[string]Tensor, f Format) ([]blockWidths, error) {
	depth := 0
	for name := range ts {
		if m := blockTensor.FindStringSubmatch(name); m != nil {
			i, err := strconv.Atoi(m[1])
			if err != nil || i >= 1<<16 {
				return nil, fmt.Errorf("pruner: tensor %s: block index out of range", name)
			}
			depth = max(depth, i+1)
		}
	}
	if depth == 0 {
		return nil, fmt.Errorf("pruner: no tensor blocks.0.*: not ViT weights in %s naming", f)
	}
	out := make([]blockWidths, depth)
	for i := range out {
		var err error
		if out[i], err = readBlockWidths(ts, f, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readBlockWidths reads block i's widths: the rows of its query (NViT) or
// fused qkv (timm) projection, of its value projection (NViT) or the inputs
// of its output projection (timm), and of fc1.
func readBlockWidths(ts map[string]Tensor, f Format, i int) (blockWidths, error) {
	var w blockWidths
	dim := func(suffix string, axis int) (int, error) {
		name := timmName(i, suffix)
		if _, ok := ts[name]; !ok {
			return 0, nil
		}
		sh, err := shapeOf(ts, f, name, 2)
		if err != nil {
			return 0, err
		}
		return sh[axis], nil
	}
	var errs [3]error
	w.mlp, errs[0] = dim("mlp.fc1.weight", 0)
	if f == FormatNViT {
		w.qk, errs[1] = dim("attn.qkv.Q.weight", 0)
		w.v, errs[2] = dim("attn.qkv.V.weight", 0)
	} else {
		var rows int
		rows, errs[1] = dim("attn.qkv.weight", 0)
		w.v, errs[2] = dim("attn.proj.weight", 1)
		if w.qk = (rows - w.v) / 2; rows > 0 && (rows <= w.v || (rows-w.v)%2 != 0) {
			errs[1] = fmt.Errorf("pruner: block %d: attn.qkv.weight has %d rows and attn.proj.weight %d inputs: not heads·(QK + QK + V) and heads·V", i, rows, w.v)
		}
	}
	for _, err := range errs {
		if err != nil {
			return w, err
		}
	}
	if (w.qk > 0) != (w.v > 0) {
		return w, fmt.Errorf("pruner: block %d has query widths %d and value widths %d: not one attention", i, w.qk, w.v)
	}
	return w, nil
}

// splitHeads turns widths into blocks with the given heads (one for every
// block with attention, or one per block).
func splitHeads(widths []blockWidths, heads []int) ([]arch.Block, error) {
	out := make([]arch.Block, len(widths))
	attn := slices.ContainsFunc(widths, func(w blockWidths) bool { return w.qk > 0 })
	switch {
	case len(heads) == 0 && attn:
		qk, v := make([]int, len(widths)), make([]int, len(widths))
		for i, w := range widths {
			qk[i], v[i] = w.qk, w.v
		}
		return nil, fmt.Errorf("%w, and its tensors do not tell the number of heads: per block, heads×QK is %v and heads×V %v", ErrNoArch, qk, v)
	case len(heads) > 1 && len(heads) != len(widths):
		return nil, fmt.Errorf("pruner: %d numbers of heads for %d blocks", len(heads), len(widths))
	}
	for i, w := range widths {
		out[i].MLP = w.mlp
		h := 0
		switch {
		case len(heads) == 1 && w.qk > 0:
			h = heads[0]
		case len(heads) > 1:
			h = heads[i]
		}
		if w.qk == 0 {
			if h != 0 {
				return nil, fmt.Errorf("pruner: %w: block %d has no attention, not %d heads", ErrArchMismatch, i, h)
			}
			continue
		}
		if h <= 0 || w.qk%h != 0 || w.v%h != 0 {
			return nil, fmt.Errorf("pruner: %w: block %d has heads×QK %d and heads×V %d, which %d heads do not divide", ErrArchMismatch, i, w.qk, w.v, h)
		}
		out[i] = arch.Block{Heads: h, QK: w.qk / h, V: w.v / h, MLP: w.mlp}
	}
	return out, nil
}
