package profiler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// RunnerProtocol is the version of the external-runner protocol.
//
// An external runner is any program that measures configurations in another
// runtime (PyTorch, TensorRT, or nvitprof itself on another GPU). nvitprof
// starts it, talks JSON Lines on its stdin and stdout (stderr passes through),
// and closes stdin when the sweep ends; the runner then exits 0.
//
//  1. nvitprof sends a hello: {"nvitprof_runner":1,"header":{...}} where
//     header is the table header (dtype, batch, tokens, image, patch,
//     channels, classes, method).
//  2. The runner answers {"nvitprof_runner":1,"device_name":"...",
//     "runtime":"pytorch","backend":"...","version":"..."} or {"error":"..."}.
//  3. For each configuration nvitprof sends {"op":"prepare","row":{...}}
//     (a table row with kind and dimensions only), and the runner answers
//     {"ok":true} or {"error":"..."} when it is ready to time it (it may
//     compile here). Then nvitprof sends {"op":"time"} and the runner answers
//     with the row measured: {"median_ms":..,"spread_ms":..,"samples":..}
//     (optionally "noisy", "note" and "floors": {"depths":[1,3],"ms":[a,b]},
//     the fastest execution of each stack depth), or {"error":"..."}. nvitprof keeps the
//     dimensions it sent and adds MACs and bytes itself.
//
// Every reply is one JSON object on one line with only these fields; a
// prepare's reply is ok or an error, a time's carries median_ms and
// samples >= 1. Anything else (a log line on stdout, a missing field) stops
// the runner and fails every later request to it: replies are matched to
// requests by order alone, so after one stray line each would be read as
// the answer to the wrong request.
//
// nvitprof times on one device one configuration at a time, so several runner
// processes on one GPU can compile in parallel while only one times.
const RunnerProtocol = 1

// RunnerHello is what a runner says about itself.
type RunnerHello struct {
	Protocol   int    `json:"nvitprof_runner"`
	DeviceName string `json:"device_name,omitempty"`
	Runtime    string `json:"runtime,omitempty"`
	Backend    string `json:"backend,omitempty"`
	Version    string `json:"version,omitempty"`
	// DeviceKind is the kind of device the runner measures ("cpu",
	// "cuda"); the table's header records it.
	DeviceKind string `json:"device_kind,omitempty"`
	Error      string `json:"error,omitempty"`
}

// RunnerRequest is one request to a runner.
type RunnerRequest struct {
	Protocol int              `json:"nvitprof_runner,omitempty"` // hello only
	Header   *tablefmt.Header `json:"header,omitempty"`          // hello only
	Op       string           `json:"op,omitempty"`              // "prepare" or "time"
	Row      *tablefmt.Row    `json:"row,omitempty"`             // prepare only
}

// RunnerReply answers a prepare or time request.
type RunnerReply struct {
	OK       bool    `json:"ok,omitempty"`
	Error    string  `json:"error,omitempty"`
	MedianMS float64 `json:"median_ms,omitempty"`
	SpreadMS float64 `json:"spread_ms,omitempty"`
	Samples  int     `json:"samples,omitempty"`
	Noisy    bool    `json:"noisy,omitempty"`
	Note     string  `json:"note,omitempty"`
	// Floors, optional, are the fastest execution of each stack depth, so
	// that a sweep in passes can combine them depth by depth.
	Floors *tablefmt.Floors `json:"floors,omitempty"`
}

// ExternalMeasurer measures through a runner process.
type ExternalMeasurer struct {
	hdr   tablefmt.Header
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	hello RunnerHello
	gate  *TimingGate // held while timing: one timing per device at a time
	mu    sync.Mutex  // one request at a time on the pipes
	// broken is the protocol error that stopped the runner, if any.
	broken error
}

// StartRunner starts argv as a runner for tables with header h. env is added
// to the runner's environment; gate, when not nil, is the device's: the
// runner joins it and holds it while timing.
func StartRunner(ctx context.Context, argv []string, env []string, h tablefmt.Header, gate *TimingGate) (*ExternalMeasurer, error) {
	if len(argv) == 0 {
		return nil, errors.New("runner: empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	detachRunner(cmd)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runner %s: %w", argv[0], err)
	}
	out := bufio.NewScanner(outPipe)
	out.Buffer(make([]byte, 64*1024), 16<<20)
	m := &ExternalMeasurer{hdr: h, cmd: cmd, in: in, out: out, gate: gate}
	if gate != nil {
		gate.Join(cmd.Process)
	}
	if err := m.send(RunnerRequest{Protocol: RunnerProtocol, Header: &h}); err != nil {
		m.Close()
		return nil, err
	}
	if err := m.recv(&m.hello); err != nil {
		m.Close()
		return nil, fmt.Errorf("runner %s: hello: %w", strings.Join(argv, " "), err)
	}
	if m.hello.Error != "" {
		m.Close()
		return nil, fmt.Errorf("runner %s: %s", strings.Join(argv, " "), m.hello.Error)
	}
	if m.hello.Protocol != RunnerProtocol {
		m.Close()
		return nil, fmt.Errorf("runner %s speaks protocol %d, want %d", strings.Join(argv, " "), m.hello.Protocol, RunnerProtocol)
	}
	return m, nil
}

// Hello is what the runner said about itself.
func (m *ExternalMeasurer) Hello() RunnerHello { return m.hello }

// SameDevice returns an error naming both runners (by aName and bName, e.g.
// their devices) when hellos a and b differ in device, runtime, backend or
// version: one table's header describes one device, so runners on an H100
// and an A100 cannot fill it together.
func SameDevice(aName string, a RunnerHello, bName string, b RunnerHello) error {
	if a.DeviceName == b.DeviceName && a.Runtime == b.Runtime && a.Backend == b.Backend && a.Version == b.Version {
		return nil
	}
	return fmt.Errorf("runners differ: %s is %s but %s is %s; measure them into separate tables", aName, a.describe(), bName, b.describe())
}

func (h RunnerHello) describe() string {
	return fmt.Sprintf("%q (runtime %q, backend %q, version %q)", h.DeviceName, h.Runtime, h.Backend, h.Version)
}

// Overlap is false: a runner holds one prepared configuration at a time.
// Compilation overlaps timing across runner processes instead (several
// workers per GPU sharing one TimingGate).
func (m *ExternalMeasurer) Overlap() bool { return false }

func (m *ExternalMeasurer) send(req RunnerRequest) error {
	line, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := m.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("runner: write: %w", err)
	}
	return nil
}

// recv reads one reply into v, strictly: a field the protocol does not
// define, or anything after the object, is as much a sign of a runner out of
// step as a line that is not JSON.
func (m *ExternalMeasurer) recv(v any) error {
	if !m.out.Scan() {
		if err := m.out.Err(); err != nil {
			return fmt.Errorf("runner: read: %w", err)
		}
		return errors.New("runner: exited before answering")
	}
	dec := json.NewDecoder(bytes.NewReader(m.out.Bytes()))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, tok := dec.Token(); tok != io.EOF {
			err = errors.New("more than one JSON value")
		}
	}
	if err != nil {
		return fmt.Errorf("runner: bad reply %q: %w", m.lastLine(), err)
	}
	return nil
}

func (m *ExternalMeasurer) lastLine() string { return truncate(m.out.Text(), 120) }

// replyLine is a reply on the wire: MedianMS, a pointer, shadows the
// embedded field so that a missing median_ms is told from a measured 0 ms,
// and 0 ms is still sent.
type replyLine struct {
	RunnerReply
	MedianMS *float64 `json:"median_ms,omitempty"`
}

// call sends req and reads its reply; check vets a reply that is not an
// error. A protocol error (no reply, a bad one, one check refuses) kills the
// runner and is returned by every later call.
func (m *ExternalMeasurer) call(req RunnerRequest, check func(replyLine) error) (replyLine, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken != nil {
		return replyLine{}, m.broken
	}
	var rep replyLine
	err := m.send(req)
	if err == nil {
		err = m.recv(&rep)
	}
	if err == nil && rep.Error == "" {
		err = check(rep)
	}
	if err != nil {
		m.broken = err
		_ = m.cmd.Process.Kill() // it may have exited already
		return replyLine{}, err
	}
	if rep.Error != "" {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}

// Prepare asks the runner to get ready to time row.
func (m *ExternalMeasurer) Prepare(ctx context.Context, row tablefmt.Row) (Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := row
	if _, err := m.call(RunnerRequest{Op: "prepare", Row: &req}, m.checkPrepared); err != nil {
		return nil, err
	}
	return &externalPrepared{m: m, row: row}, nil
}

// checkPrepared refuses a prepare's reply that is not {"ok":true}; one with
// a measurement answers an earlier time.
func (m *ExternalMeasurer) checkPrepared(rep replyLine) error {
	if !rep.OK || rep.MedianMS != nil || rep.Samples != 0 {
		return fmt.Errorf(`runner: reply %q to prepare: want {"ok":true} or {"error":"..."}`, m.lastLine())
	}
	return nil
}

// checkTimed refuses a time's reply without a measurement (a bare ok
// answers an earlier prepare).
func (m *ExternalMeasurer) checkTimed(rep replyLine) error {
	switch {
	case rep.MedianMS == nil:
		return fmt.Errorf("runner: reply %q to time has no median_ms", m.lastLine())
	case rep.Samples < 1:
		return fmt.Errorf("runner: reply %q to time: samples must be at least 1", m.lastLine())
	}
	return nil
}

type externalPrepared struct {
	m   *ExternalMeasurer
	row tablefmt.Row
}

// Time asks the runner to time the prepared configuration; with a gate, one
// runner of the device times at a time and the others are frozen meanwhile.
func (p *externalPrepared) Time(ctx context.Context) (tablefmt.Row, error) {
	if err := ctx.Err(); err != nil {
		return p.row, err
	}
	if p.m.gate != nil {
		defer p.m.gate.Hold(p.m.cmd.Process)()
	}
	rep, err := p.m.call(RunnerRequest{Op: "time"}, p.m.checkTimed)
	if err != nil {
		return p.row, err
	}
	row := p.row
	row.MedianMS, row.SpreadMS, row.Samples, row.Noisy, row.Note = *rep.MedianMS, rep.SpreadMS, rep.Samples, rep.Noisy, rep.Note
	row.Floors = rep.Floors
	if err := row.Validate(); err != nil {
		return p.row, fmt.Errorf("runner's measurement: %w", err)
	}
	return p.m.hdr.WithCounts(row)
}

// Close does nothing: the runner drops its configuration at the next prepare.
func (p *externalPrepared) Close() {}

// Close ends the runner: stdin is closed and the process waited for. It
// returns the protocol error that stopped the runner, if one did.
func (m *ExternalMeasurer) Close() error {
	if m.gate != nil {
		m.gate.Leave(m.cmd.Process)
	}
	m.in.Close()
	err := m.cmd.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken != nil {
		return m.broken // the kill, not the runner, ended it
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ServeRunner is the runner side of the protocol for a Measurer: nvitprof's
// own `runner` command, one process per GPU or per compiling worker.
// describe fills the hello from the header it receives, or fails.
func ServeRunner(ctx context.Context, in io.Reader, out io.Writer, open func(tablefmt.Header) (Measurer, RunnerHello, error)) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	enc := json.NewEncoder(out)
	if !sc.Scan() {
		return errors.New("runner: no hello on stdin")
	}
	var hello RunnerRequest
	if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.Header == nil {
		_ = enc.Encode(RunnerHello{Protocol: RunnerProtocol, Error: "first line must be a hello with a header"})
		return fmt.Errorf("runner: bad hello: %v", err)
	}
	m, info, err := open(*hello.Header)
	if err != nil {
		_ = enc.Encode(RunnerHello{Protocol: RunnerProtocol, Error: err.Error()})
		return err
	}
	info.Protocol = RunnerProtocol
	if err := enc.Encode(info); err != nil {
		return err
	}
	var pending Prepared
	defer func() {
		if pending != nil {
			pending.Close()
		}
	}()
	for sc.Scan() {
		var req RunnerRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			_ = enc.Encode(RunnerReply{Error: "bad request: " + err.Error()})
			continue
		}
		var rep replyLine // median_ms sent even at 0 (a clipped estimate): time's reply must have it
		switch {
		case req.Op == "prepare" && req.Row != nil:
			if pending != nil {
				pending.Close()
				pending = nil
			}
			p, err := m.Prepare(ctx, *req.Row)
			if err != nil {
				rep.Error = err.Error()
			} else {
				pending, rep.OK = p, true
			}
		case req.Op == "time" && pending != nil:
			row, err := pending.Time(ctx)
			pending.Close()
			pending = nil
			if err != nil {
				rep.Error = err.Error()
			} else {
				rep = replyLine{RunnerReply{OK: true, SpreadMS: row.SpreadMS, Samples: row.Samples, Noisy: row.Noisy, Note: row.Note,
					Floors: row.Floors}, &row.MedianMS}
			}
		default:
			rep.Error = fmt.Sprintf("unexpected request %q", truncate(sc.Text(), 80))
		}
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return sc.Err()
}
