package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/urfave/cli/v2"
)

func predictCmd() *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Usage: "predict an architecture's latency (and its speedup over a reference) from a table or a model",
		Description: "The architecture must have the table's tokens and geometry (NViT's V100 table was measured\n" +
			"with cls + distillation tokens: use the -distilled presets). Examples:\n" +
			"  nvitprof predict --table nvit_latency_head_v100.json --preset deit-s-distilled --ref deit-b-distilled\n" +
			"  nvitprof predict --model v100-hw.json --arch pruned.json --format json",
		Flags: append(append(tableFlags(), kindFlag(),
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model `FILE` written by nvitprof fit (instead of --table)"},
			&cli.StringFlag{Name: "ref", Usage: "reference architecture: a preset `NAME` or an architecture file; prints the speedup over it"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		), specFlags()...),
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "text" && format != "json" {
				return usagef("unknown --format %q: want text or json", format)
			}
			s, err := loadSpec(c)
			if err != nil {
				return err
			}
			var ref *arch.Spec
			if name := c.String("ref"); name != "" {
				r, err := loadRef(name)
				if err != nil {
					return err
				}
				ref = &r
			}
			m, err := loadModel(c)
			if err != nil {
				return err
			}
			return writePrediction(c, m, s, ref, format)
		},
	}
}

// loadModel reads --model, or fits one of --kind to --table.
func loadModel(c *cli.Context) (*costmodel.Model, error) {
	table, model := c.String("table"), c.String("model")
	switch {
	case table != "" && model != "":
		return nil, usagef("give --table or --model, not both")
	case model != "":
		if c.IsSet("kind") {
			return nil, usagef("--kind applies to --table; a model file has its own kind")
		}
		return costmodel.LoadFile(model)
	case table != "":
		kind, err := modelKind(c)
		if err != nil {
			return nil, err
		}
		lt, err := loadTable(c)
		if err != nil {
			return nil, err
		}
		return fitTable(lt, kind)
	}
	return nil, usagef("choose a cost model with --table FILE or --model FILE")
}

// loadRef reads a reference architecture: a preset name, else a file.
func loadRef(name string) (arch.Spec, error) {
	if s, err := arch.Preset(name); err == nil {
		return s, nil
	}
	data, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		_, perr := arch.Preset(name)
		return arch.Spec{}, usagef("--ref: %v, and no file of that name", perr)
	}
	if err != nil {
		return arch.Spec{}, fmt.Errorf("read --ref: %w", err)
	}
	s, err := arch.ParseFile(data)
	if err != nil {
		return arch.Spec{}, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// predictOutput is the JSON form of `nvitprof predict`.
type predictOutput struct {
	Name         string    `json:"name,omitempty"`
	Model        string    `json:"model"`
	Source       string    `json:"source"`
	LatencyMS    float64   `json:"latency_ms"`
	BlocksMS     []float64 `json:"blocks_ms"`
	RestMS       float64   `json:"rest_ms"`
	Rest         bool      `json:"rest"`
	Batch        int       `json:"batch,omitempty"`
	Ref          string    `json:"ref,omitempty"`
	RefLatencyMS float64   `json:"ref_latency_ms,omitempty"`
	Speedup      float64   `json:"speedup,omitempty"`
	MACRatio     float64   `json:"mac_ratio,omitempty"` // reference MACs / MACs, for comparison with the speedup
	Warnings     []string  `json:"warnings,omitempty"`
}

func writePrediction(c *cli.Context, m *costmodel.Model, s arch.Spec, ref *arch.Spec, format string) error {
	p, err := m.Latency(s)
	if err != nil {
		return err
	}
	src := m.Source()
	path := src.Path
	if path == "" {
		path = "(table)"
	}
	out := predictOutput{Name: s.Name, Model: string(m.Kind()), Source: path, LatencyMS: p.TotalMS,
		BlocksMS: p.BlocksMS, RestMS: p.RestMS, Rest: p.Rest, Batch: src.Header.Batch, Warnings: p.Warnings}
	if ref != nil {
		pr, err := m.Latency(*ref)
		if err != nil {
			return fmt.Errorf("--ref: %w", err)
		}
		sp, err := m.Speedup(s, *ref)
		if err != nil {
			return err
		}
		out.Ref, out.RefLatencyMS, out.Speedup = nameOr(ref.Name, "reference"), pr.TotalMS, sp
		out.MACRatio = float64(ref.MACs()) / float64(s.MACs())
	}
	if format == "json" {
		return json.NewEncoder(c.App.Writer).Encode(out)
	}
	w := c.App.Writer
	batch := ""
	if out.Batch > 0 {
		batch = fmt.Sprintf(" per batch of %d", out.Batch)
	}
	rest := fmt.Sprintf("rest %.4g ms", p.RestMS)
	if !p.Rest {
		rest = "rest not in the table"
	}
	fmt.Fprintf(w, "%s: %.4g ms%s (%d blocks %.4g ms, %s) — %s model of %s\n",
		nameOr(s.Name, "architecture"), p.TotalMS, batch, len(p.BlocksMS), p.TotalMS-p.RestMS, rest, m.Kind(), path)
	if ref != nil {
		fmt.Fprintf(w, "speedup over %s (%.4g ms): %.3f× (MAC ratio %.2f×)\n", out.Ref, out.RefLatencyMS, out.Speedup, out.MACRatio)
	}
	for _, wmsg := range p.Warnings {
		fmt.Fprintf(w, "note: %s\n", wmsg)
	}
	return nil
}

func nameOr(name, def string) string {
	if name != "" {
		return name
	}
	return def
}
