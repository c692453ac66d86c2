package profiler

import (
	"bufio"
	"cmp"
	"os"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Memory is an upper bound on the memory the plan's largest configuration
// needs to be measured, and that configuration's key: the deepest stack's
// weight copies (each copy has its own, ModelDepths for rest and model rows)
// plus every copy's activations of one batch, as an unfused graph would keep
// them all.
func (p *Plan) Memory() (key string, bytes int64, err error) {
	h := p.Header
	es := int64(cmp.Or(h.ElemSize(), 4))
	batch := int64(max(h.Batch, 1))
	for _, r := range p.Configs {
		c, err := h.Counts(r)
		if err != nil {
			return "", 0, err
		}
		copies := int64(1)
		if d := h.Method.Depths; len(d) == 2 {
			copies = int64(d[1])
		}
		if r.Kind == tablefmt.KindRest || r.Kind == tablefmt.KindModel {
			copies = int64(ModelDepths[1])
		}
		if b := copies * (c.Params*es + c.Activations*es*batch); b > bytes {
			key, bytes = r.Key(), b
		}
	}
	return key, bytes, nil
}

// checkMemory refuses, on the CPU, a plan whose largest configuration needs
// more memory than the machine has available: such a sweep would swap or be
// killed after its smaller configurations, rather than say so at once.
func (p *Plan) checkMemory() error {
	if !p.CPU {
		return nil
	}
	avail, ok := memAvailable()
	if !ok {
		return nil
	}
	key, need, err := p.Memory()
	if err != nil || need <= avail {
		return err
	}
	return optionErrorf("grid", "the largest configuration, %s, needs about %.1f GiB to measure; %.1f GiB is available",
		key, float64(need)/(1<<30), float64(avail)/(1<<30))
}

// memAvailable is the memory the kernel says new work can have
// (/proc/meminfo's MemAvailable), where it says.
func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
