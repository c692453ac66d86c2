package pytorch

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Name is the runner's name in a spec: "pytorch" or "pytorch:OPTIONS".
const Name = "pytorch"

// Attention implementations the runner knows.
const (
	AttentionEager = "eager" // matmuls and a softmax, as timm's Attention
	AttentionSDPA  = "sdpa"  // torch.nn.functional.scaled_dot_product_attention (PyTorch >= 2.0)
)

// Options are the runner's settings. The table's dtype, batch, geometry and
// timing come from the sweep's header, not from here.
type Options struct {
	// Device is "auto" (a CUDA device if torch sees one, else the CPU),
	// "cpu", "cuda" or "cuda:N".
	Device string
	// Threads is the CPU threads PyTorch and its BLAS run on; 0 leaves
	// PyTorch's default (every core).
	Threads int
	// Attention is AttentionEager or AttentionSDPA.
	Attention string
	// Compile runs every stack through torch.compile (PyTorch >= 2.0).
	Compile bool
	// Retries is how many extra rounds a noisy measurement gets.
	Retries int
	// Python is the interpreter to run the script with; "" finds one
	// (Finder).
	Python string
}

// DefaultOptions are what "pytorch" alone means: the device found, one CPU
// thread (a shared machine's runs repeat on one thread where they do not on
// several), eager attention, no compilation, two retries (as nvitprof's own
// harness).
func DefaultOptions() Options {
	return Options{Device: "auto", Threads: 1, Attention: AttentionEager, Retries: 2}
}

// IsSpec reports whether s names this runner ("pytorch" or "pytorch:...")
// rather than a command line.
func IsSpec(s string) bool {
	return s == Name || strings.HasPrefix(s, Name+":")
}

// ErrSpec is wrapped by every error ParseSpec returns.
var ErrSpec = errors.New("pytorch runner spec")

// ParseSpec reads a spec such as "pytorch",
// "pytorch:device=cuda:0,attention=sdpa,compile" or
// "pytorch:device=cpu,threads=2,python=/usr/bin/python3": comma-separated
// key=value options after the colon; compile may stand alone for
// compile=true. Options not given keep DefaultOptions.
func ParseSpec(spec string) (Options, error) {
	o := DefaultOptions()
	if !IsSpec(spec) {
		return o, fmt.Errorf("%w %q: want %s or %s:OPTIONS", ErrSpec, spec, Name, Name)
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(spec, Name), ":")
	if rest == "" {
		return o, nil
	}
	for _, part := range strings.Split(rest, ",") {
		key, value, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		if err := o.set(key, value, hasValue); err != nil {
			return DefaultOptions(), fmt.Errorf("%w %q: %v", ErrSpec, spec, err)
		}
	}
	return o, nil
}

// optionNames lists the options a spec may set, for error messages.
const optionNames = "device, threads, attention, compile, retries, python"

func (o *Options) set(key, value string, hasValue bool) error {
	switch {
	case key == "":
		return errors.New("empty option")
	case !slices.Contains(strings.Split(optionNames, ", "), key):
		return fmt.Errorf("unknown option %q (known: %s)", key, optionNames)
	case key != "compile" && (!hasValue || value == ""):
		return fmt.Errorf("option %q needs a value (%s=...)", key, key)
	}
	switch key {
	case "device":
		if !validDevice(value) {
			return fmt.Errorf("device %q: want auto, cpu, cuda or cuda:N", value)
		}
		o.Device = value
	case "threads", "retries":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Errorf("%s %q: want a non-negative integer", key, value)
		}
		if key == "threads" {
			o.Threads = n
		} else {
			o.Retries = n
		}
	case "attention":
		if value != AttentionEager && value != AttentionSDPA {
			return fmt.Errorf("attention %q: want %s or %s", value, AttentionEager, AttentionSDPA)
		}
		o.Attention = value
	case "compile":
		if !hasValue {
			o.Compile = true
			return nil
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("compile %q: want true or false", value)
		}
		o.Compile = b
	case "python":
		o.Python = value
	}
	return nil
}

func validDevice(d string) bool {
	switch d {
	case "auto", "cpu", "cuda":
		return true
	}
	n, ok := strings.CutPrefix(d, "cuda:")
	if !ok {
		return false
	}
	i, err := strconv.Atoi(n)
	return err == nil && i >= 0
}

// Args are the script's arguments for o (its device as given: Command
// resolves "auto" first).
func (o Options) Args() []string {
	args := []string{"--device", o.Device, "--threads", strconv.Itoa(o.Threads),
		"--attention", o.Attention, "--retries", strconv.Itoa(o.Retries)}
	if o.Compile {
		args = append(args, "--compile")
	}
	return args
}
