package tablefmt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// KnownLUT is a published latency_head.json that LUTHeader recognises by
// the SHA-256 of its bytes, so that its rows carry the header of what was
// measured (device, runtime, batch, tokens) rather than "unknown".
type KnownLUT struct {
	Name   string        // what the file is, for messages
	Header func() Header // its header; Tokens and Batch are what it was measured with
}

// knownLUTs are the published LUTs, by the hex SHA-256 of the file's exact
// bytes. A file that differs by one byte (a table of another device exported
// on the same grid, say) is not the published one and gets the header of an
// unknown device. To add a table, add its hash and a header function here
// and a line to the package documentation.
var knownLUTs = map[string]KnownLUT{
	// NVlabs/NViT's nvit/latency_head.json, as released with NViT
	// (V100, 9,375 entries, 313,937 bytes).
	"63edfc2ff589349a7ddce8616a22e0c35a5d2c8ca19a944abdeedb643997c161": {
		Name: "NViT's released V100 table", Header: NViTV100Header,
	},
}

// LUTHeader is the header of the rows of the LUT file whose bytes are data
// (name is used in messages and as the header's Source). A known published
// LUT gets its own header (NViT's released table: NViTV100Header), and
// options that contradict its tokens or batch are refused with an
// *OptionError. Any other LUT, even one on NViT's grid, gets NViT's header
// with the device, runtime and dtype unknown and the batch from opt; its
// tokens are opt.Tokens with no model geometry, or NViT's 198 tokens and
// DeiT-B-distilled geometry when opt.Tokens is 0 or 198 (the LUT format is
// DeiT-B-distilled's).
func LUTHeader(data []byte, name string, opt OpenOptions) (Header, error) {
	return lutHeader(data, name, opt, knownLUTs)
}

func lutHeader(data []byte, name string, opt OpenOptions, known map[string]KnownLUT) (Header, error) {
	sum := sha256.Sum256(data)
	if k, ok := known[hex.EncodeToString(sum[:])]; ok {
		h := k.Header()
		if (opt.Tokens != 0 && opt.Tokens != h.Tokens) || (opt.Batch != 0 && opt.Batch != h.Batch) {
			return Header{}, &OptionError{Name: name, Msg: fmt.Sprintf(
				"this is %s, measured with %d tokens and batch %d: other tokens or batch do not apply", k.Name, h.Tokens, h.Batch)}
		}
		return h, nil
	}
	if opt.Tokens < 0 || opt.Batch < 0 {
		return Header{}, &OptionError{Name: name, Msg: fmt.Sprintf("tokens and batch must not be negative, got %d and %d", opt.Tokens, opt.Batch)}
	}
	h := NViTV100Header()
	h.DeviceKind, h.DeviceName, h.Runtime, h.Batch = "", "", "", opt.Batch
	h.Source = name
	h.Notes = []string{"imported from a latency_head.json that is not NViT's released table: device, runtime and dtype unknown"}
	switch {
	case opt.Tokens == 0 || opt.Tokens == h.Tokens:
		h.Notes = append(h.Notes, "NViT's geometry assumed (DeiT-B-distilled, 198 tokens): no other tokens were given")
	default:
		h.Tokens, h.Image, h.Patch, h.Channels, h.Classes = opt.Tokens, 0, 0, 0, 0
		h.Notes = append(h.Notes, fmt.Sprintf("%d tokens given; model geometry unknown", opt.Tokens))
	}
	if opt.Batch == 0 {
		h.Notes = append(h.Notes, "batch unknown")
	}
	h.Notes = append(h.Notes, "MLP_1 in the source is a block without MLP: mlp 0 here")
	return h, nil
}
