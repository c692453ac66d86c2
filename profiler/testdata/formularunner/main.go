// Command formularunner speaks nvitprof's external-runner protocol and
// "measures" by a formula of the dimensions, so tests can check what flows
// through the protocol. It fails configurations with emb 13 on purpose, and
// exits without answering when it sees emb 666.
package main

import (
	"bufio"
	"encoding/json"
	"os"
)

type row struct {
	Kind  string `json:"kind"`
	EMB   int    `json:"emb"`
	Heads int    `json:"heads"`
	QK    int    `json:"qk"`
	V     int    `json:"v"`
	MLP   int    `json:"mlp"`
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	sc.Scan() // hello
	var hello struct {
		Header struct {
			Batch int `json:"batch"`
		} `json:"header"`
	}
	if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.Header.Batch == 0 {
		enc.Encode(map[string]any{"nvitprof_runner": 1, "error": "no header"})
		os.Exit(1)
	}
	enc.Encode(map[string]any{"nvitprof_runner": 1, "device_name": "Formula 1", "runtime": "formula", "backend": "none", "version": "1.0"})
	var pending *row
	for sc.Scan() {
		var req struct {
			Op  string `json:"op"`
			Row *row   `json:"row"`
		}
		json.Unmarshal(sc.Bytes(), &req)
		switch req.Op {
		case "prepare":
			if req.Row.EMB == 666 {
				os.Exit(3)
			}
			pending = req.Row
			enc.Encode(map[string]any{"ok": true})
		case "time":
			r := pending
			if r.EMB == 13 {
				enc.Encode(map[string]any{"error": "emb 13 is unlucky"})
				continue
			}
			ms := 0.001 * float64(hello.Header.Batch) * float64(r.EMB*(r.Heads*(2*r.QK+r.V)+r.MLP))
			enc.Encode(map[string]any{"median_ms": ms, "spread_ms": ms / 100, "samples": 7})
		}
	}
}
