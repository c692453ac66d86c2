package tablefmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// LUT is NVlabs/NViT's latency lookup table, the latency_head.json its
// pruner reads: a nested JSON object EMB_e → QK_{H}_{qk} → V_v → MLP_m whose
// values are seconds per full transformer block. The key MLP_1 stands for a
// block without MLP (so an MLP of width 1 cannot be written).
//
// Entries keep the file's order, and WriteTo writes keys in order of first
// appearance with Python's json.dump separators and float format, so reading
// a file written by json.dump and writing it back reproduces it byte for
// byte.
type LUT struct {
	Entries []LUTEntry
}

// LUTEntry is one value of a LUT.
type LUTEntry struct {
	EMB     int
	Block   arch.Block // Heads, QK, V per head, MLP (0: no MLP, the key MLP_1)
	Seconds float64    // latency of one block, seconds
}

// Lookup returns the seconds of the entry for emb and b.
func (l LUT) Lookup(emb int, b arch.Block) (float64, bool) {
	for _, e := range l.Entries {
		if e.EMB == emb && e.Block == b {
			return e.Seconds, true
		}
	}
	return 0, false
}

// LUT keys. The MLP key of "no MLP" is MLP_1.
func embKey(e int) string    { return "EMB_" + strconv.Itoa(e) }
func qkKey(h, qk int) string { return "QK_" + strconv.Itoa(h) + "_" + strconv.Itoa(qk) }
func vKey(v int) string      { return "V_" + strconv.Itoa(v) }
func mlpKey(m int) string    { return "MLP_" + strconv.Itoa(max(m, 1)) }

// ReadLUTFile reads the NViT latency table at path.
func ReadLUTFile(path string) (LUT, error) {
	f, err := os.Open(path)
	if err != nil {
		return LUT{}, fmt.Errorf("tablefmt: read NViT LUT: %w", err)
	}
	defer f.Close()
	return ReadLUT(f, path)
}

// ReadLUT reads an NViT latency table from r; name is used in messages.
// Keys must be canonical (EMB_256, not EMB_0256), unique within their object
// and positive; values must be non-negative numbers.
func ReadLUT(r io.Reader, name string) (LUT, error) {
	p := lutParser{dec: json.NewDecoder(r)}
	p.dec.UseNumber()
	if err := p.parse(); err != nil {
		where := ""
		if len(p.path) > 0 {
			keys := make([]string, len(p.path))
			for i, k := range p.path {
				keys[i] = k
				if len(k) > maxExcerpt {
					keys[i] = excerptString(k)
				}
			}
			where = " at " + strings.Join(keys, " → ")
		}
		return LUT{}, fmt.Errorf("tablefmt: read NViT LUT %s%s (byte %d): %w", name, where, p.dec.InputOffset(), err)
	}
	return LUT{Entries: p.entries}, nil
}

type lutParser struct {
	dec     *json.Decoder
	path    []string
	entries []LUTEntry
}

func (p *lutParser) parse() error {
	var e LUTEntry
	err := p.object("EMB_e", func(k string) error {
		emb, err := keyInts(k, "EMB_", 1)
		if err != nil {
			return err
		}
		e.EMB = emb[0]
		return p.object("QK_{H}_{qk}", func(k string) error {
			hq, err := keyInts(k, "QK_", 2)
			if err != nil {
				return err
			}
			e.Block.Heads, e.Block.QK = hq[0], hq[1]
			return p.object("V_v", func(k string) error {
				v, err := keyInts(k, "V_", 1)
				if err != nil {
					return err
				}
				e.Block.V = v[0]
				return p.object("MLP_m", func(k string) error {
					m, err := keyInts(k, "MLP_", 1)
					if err != nil {
						return err
					}
					switch m[0] {
					case 1:
						m[0] = 0 // MLP_1: no MLP
					case 0:
						return errors.New(`key "MLP_0": NViT writes a block without MLP as MLP_1`)
					}
					e.Block.MLP = m[0]
					return p.value(e)
				})
			})
		})
	})
	if err != nil {
		return err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// object reads an object whose keys have the form want, calling f after
// reading each key with the decoder positioned at the key's value.
func (p *lutParser) object(want string, f func(key string) error) error {
	if err := p.delim('{', "an object of "+want+" keys"); err != nil {
		return err
	}
	keys := map[string]bool{}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		k := tok.(string) // object keys are strings
		if keys[k] {
			return fmt.Errorf("duplicate key %q", k)
		}
		keys[k] = true
		p.path = append(p.path, k)
		if err := f(k); err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
	}
	_, err := p.dec.Token() // '}'
	return err
}

func (p *lutParser) delim(d json.Delim, what string) error {
	tok, err := p.dec.Token()
	if err == io.EOF {
		return fmt.Errorf("unexpected end of input: want %s", what)
	}
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %s, got %v", what, tokenText(tok))
	}
	return nil
}

func (p *lutParser) value(e LUTEntry) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return fmt.Errorf("want a number of seconds, got %v", tokenText(tok))
	}
	s, err := strconv.ParseFloat(string(n), 64)
	if err != nil || s < 0 {
		num := string(n)
		if len(num) > maxExcerpt {
			num = num[:maxExcerpt] + "..."
		}
		return fmt.Errorf("latency %s is not a non-negative float64", num)
	}
	e.Seconds = s
	p.entries = append(p.entries, e)
	return nil
}

func tokenText(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return fmt.Sprintf("string %q", t)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

// keyInts parses key = prefix + n positive integers joined by "_", each in
// canonical decimal form.
func keyInts(key, prefix string, n int) ([]int, error) {
	bad := func() error {
		return fmt.Errorf("key %q: want %s followed by %d positive integer(s) joined by _", key, prefix, n)
	}
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return nil, bad()
	}
	parts := strings.Split(rest, "_")
	if len(parts) != n {
		return nil, bad()
	}
	out := make([]int, n)
	for i, s := range parts {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || strconv.Itoa(v) != s {
			return nil, bad()
		}
		if v == 0 && prefix != "MLP_" {
			return nil, bad()
		}
		out[i] = v
	}
	return out, nil
}

// WriteTo writes l as NViT's latency_head.json, in the exact form Python's
// json.dump gives: keys in order of first appearance, ", " and ": "
// separators, floats as repr, no trailing newline.
func (l LUT) WriteTo(w io.Writer) (int64, error) {
	var root lutNode
	for _, e := range l.Entries {
		if !finite(e.Seconds) || e.Seconds < 0 {
			return 0, fmt.Errorf("tablefmt: write NViT LUT: %s: latency %v is not a non-negative number",
				e.Path(), e.Seconds)
		}
		if err := lutEntryDims(e); err != nil {
			return 0, fmt.Errorf("tablefmt: write NViT LUT: %w", err)
		}
		n := root.child(embKey(e.EMB)).child(qkKey(e.Block.Heads, e.Block.QK)).child(vKey(e.Block.V)).child(mlpKey(e.Block.MLP))
		if n.set {
			return 0, fmt.Errorf("tablefmt: write NViT LUT: %s appears twice", e.Path())
		}
		n.set, n.val = true, e.Seconds
	}
	var buf bytes.Buffer
	root.write(&buf)
	n, err := w.Write(buf.Bytes())
	if err != nil {
		return int64(n), fmt.Errorf("tablefmt: write NViT LUT: %w", err)
	}
	return int64(n), nil
}

// Path names e by its keys, as "EMB_768 → QK_12_64 → V_64 → MLP_3072".
func (e LUTEntry) Path() string {
	return embKey(e.EMB) + " → " + qkKey(e.Block.Heads, e.Block.QK) + " → " + vKey(e.Block.V) + " → " + mlpKey(e.Block.MLP)
}

// lutEntryDims checks that e can be written as NViT keys.
func lutEntryDims(e LUTEntry) error {
	b := e.Block
	if e.EMB <= 0 || b.Heads <= 0 || b.QK <= 0 || b.V <= 0 || b.MLP < 0 || b.MLP == 1 {
		return fmt.Errorf("entry emb=%d heads=%d qk=%d v=%d mlp=%d has no NViT key (emb, heads, qk, v must be positive; mlp 0 is written MLP_1, so mlp 1 cannot be)",
			e.EMB, b.Heads, b.QK, b.V, b.MLP)
	}
	return nil
}

// lutNode is an object of the nested LUT with keys in insertion order, or a leaf value.
type lutNode struct {
	keys []string
	kids map[string]*lutNode
	set  bool
	val  float64
}

func (n *lutNode) child(k string) *lutNode {
	if c, ok := n.kids[k]; ok {
		return c
	}
	if n.kids == nil {
		n.kids = map[string]*lutNode{}
	}
	c := &lutNode{}
	n.kids[k] = c
	n.keys = append(n.keys, k)
	return c
}

func (n *lutNode) write(buf *bytes.Buffer) {
	if n.set {
		buf.WriteString(pyFloat(n.val))
		return
	}
	buf.WriteByte('{')
	for i, k := range n.keys {
		if i > 0 {
			buf.WriteString(", ")
		}
		buf.WriteByte('"')
		buf.WriteString(k) // keys are ASCII letters, digits and _
		buf.WriteString(`": `)
		n.kids[k].write(buf)
	}
	buf.WriteByte('}')
}
