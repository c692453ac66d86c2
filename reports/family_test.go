package reports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

func TestWriteFamilyCSV(t *testing.T) {
	s := mini("v-0.50x", 64, 2)
	fam := []arch.Variant{{Budget: 0.5, TargetMS: 5, Latency: 4, RuleEMB: 64, RuleLat: 4.5, Reference: "ref", Spec: s,
		Snap: &arch.SnapResult{Moves: make([]arch.SnapMove, 3), ParamsBefore: 1000, ParamsAfter: 1040}}}
	var b bytes.Buffer
	if err := WriteFamilyCSV(&b, fam, 10); err != nil {
		t.Fatal(err)
	}
	// Speedup 10 / 4; snapping gained 40 of 1000 parameters: 4%.
	want := strings.Join(FamilyColumns(), ",") + "\n" +
		fmt.Sprintf("v-0.50x,0.5,5,4,2.5,64,4 4,32 32,32 32,256 256,%d,%d,64,4.5,3,4,ref,10,\n", s.Params(), s.MACs())
	if b.String() != want {
		t.Errorf("CSV\n%s\nwant\n%s", b.String(), want)
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{5_717_416: "5.72M", 1_260_000_000: "1.26G", 12_345: "12.3k", 999: "999"} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %s, want %s", n, got, want)
		}
	}
}

// The summary `nvitprof generate` prints, for a family generated under a
// toy latency function (one millisecond per GMAC).
func ExampleWriteFamilyText() {
	ref, _ := arch.Preset("deit-s-distilled")
	lat := func(s arch.Spec) (float64, error) { return float64(s.MACs()) / 1e9, nil }
	fam, err := arch.Family(context.Background(), lat, arch.FamilyOptions{
		Rule: arch.Rule{Geometry: ref.Geometry()}, Ref: ref, Budgets: []float64{0.5, 0.75, 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	refMS, _ := lat(ref)
	WriteFamilyText(os.Stdout, fam, ref, refMS)
	// Output:
	// reference deit-s-distilled: 4.624 ms predicted, 22.44M params, 4.62G MACs
	//       variant  budget  latency ms  speedup  EMB  params   MACs  snap
	//   revit-0.50x   0.50×       2.216    2.09×  272  11.03M  2.22G     -
	//   revit-0.75x   0.75×       3.391    1.36×  336  16.85M  3.39G     -
	//   revit-1.00x   1.00×        4.46    1.04×  384  22.14M  4.46G     -
}

// A variant whose architecture an earlier budget gave is marked in the
// CSV's last column and named in the text.
func TestFamilyMarksDuplicates(t *testing.T) {
	a, b := mini("v-0.40x", 64, 2), mini("v-0.50x", 64, 2)
	fam := []arch.Variant{{Budget: 0.4, Latency: 4, Spec: a}, {Budget: 0.5, Latency: 4, Spec: b}, {Budget: 0.6, Latency: 5, Spec: mini("v-0.60x", 96, 2)}}
	var csv, text bytes.Buffer
	if err := WriteFamilyCSV(&csv, fam, 10); err != nil {
		t.Fatal(err)
	}
	var same []string
	for _, line := range strings.Split(strings.TrimSpace(csv.String()), "\n")[1:] {
		same = append(same, line[strings.LastIndex(line, ",")+1:])
	}
	if strings.Join(same, "|") != "|v-0.40x|" {
		t.Errorf("same_as column %q", same)
	}
	if err := WriteFamilyText(&text, fam, a, 10); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(text.String(), "     -\nv-0.50x is the same architecture as v-0.40x\n") {
		t.Errorf("text ends\n%s", text.String())
	}
}
