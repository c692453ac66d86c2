// Package tablefmt is the latency table: the measurements a sweep makes and
// their file formats (JSON Lines, CSV, NViT's latency_head.json). It knows
// nothing of measuring (package profiler) or of models (package costmodel).
//
// # The table format
//
// A table is a JSON Lines file (one JSON object per line, UTF-8). The first
// line is the Header: it marks the file ("nvitprof_table": 1, the format
// version) and records everything the latencies depend on besides the
// dimensions (device, runtime and backend, dtype, batch, tokens, model
// geometry, timing method) and where they came from (nvitprof version, time,
// host, notes). Every following line is a Row, one measured configuration:
//
//	{"nvitprof_table":1,"device":"cuda:0","device_kind":"cuda","device_name":"NVIDIA H100 80GB HBM3","runtime":"gomlx","backend":"xla","dtype":"bfloat16","batch":64,"tokens":197,"image":224,"patch":16,"channels":3,"classes":1000,"method":{"name":"differential","depths":[2,10],"warmup":5,"samples":30,"noise_threshold":0.05},"nvitprof_version":"0.1.0","time":"2026-11-26T17:00:00Z","host":"gpu01"}
//	{"kind":"mlp","emb":768,"mlp":3072,"median_ms":0.313,"spread_ms":0.004,"samples":30,"macs":59492007936,"bytes":222472704}
//
// Row kinds and the dimensions that apply to them:
//
//	attn   emb, heads, qk, v        one attention sub-block (with its LayerNorm and residual)
//	mlp    emb, mlp                 one MLP sub-block (with its LayerNorm and residual)
//	block  emb, heads, qk, v, mlp   one whole block; heads 0 or mlp 0 drops that sub-block
//	rest   emb                      patch embedding, tokens, final norm, classifier(s)
//	model  dim (and emb = dim.EMB)  a whole model, dim being NViT's {"EMB", "head", "QK", "V", "MLP"}
//
// Every row has median_ms (median latency of one configuration, one
// execution over the header's batch, in milliseconds), spread_ms (the
// interquartile range of the samples), samples, macs (multiply-accumulates of
// one execution) and bytes (weight plus activation bytes of one execution; 0
// when the dtype is unknown); optionally name, noisy (spread above the
// header's noise threshold) and note. Header.WithCounts fills macs and bytes
// from package arch's exact counts. Zero or absent header fields mean
// unknown. Unknown fields are refused, so that a typo is not read as a zero.
//
// Row.Validate checks that a row is possible (kind, dimensions, numbers);
// Row.CheckLatency, which every reader applies too, that its latency is
// plausible: not 0 unless the row is flagged noisy (a sweep writes 0 only
// for a tiny unit whose differential estimate came out negative), at most
// MaxMS (1e7 ms) and at most MaxMACsPerSecond (1e17 MAC/s, about 100 times
// the fastest accelerator) for the row's MACs.
//
// A table an adaptive sweep wrote (nvitprof sweep --accuracy) holds only
// the configurations it measured. Its header's Sampling records how they
// were chosen (strategy, target, size of the full grid, validation sample,
// seed, whether its blocks are fitted decomposed, the prior table's hash),
// and each row measured only to validate the cost model has validation:
// true (Row.Validation): costmodel's Fit leaves those rows out and its Eval
// reports on them apart.
//
// Row.Key names a configuration (kind plus its dimensions, for example
// "attn emb=768 heads=12 qk=64 v=64"); a resumed or merged table keeps the
// last row of each key, and Table.Duplicates (Opened.Duplicates, with file
// lines; MergeOpened, across tables) lists the keys with more than one row.
//
// # Reading and writing
//
// Reader reads a table row by row in the manner of bufio.Scanner. A line
// that is not a valid row (malformed JSON such as the last line of a file cut
// by a kill, an unknown kind, a negative or implausible latency, impossible
// dimensions) is a non-fatal *SyntaxError naming file:line; a missing or
// invalid header is fatal. ReadTable reads a whole file and returns the bad
// lines beside it, a torn last line marked SyntaxError.Torn. Open is
// stricter: it skips only a torn last line and refuses a table with any
// other bad line.
//
// Writer appends rows one line at a time, flushed (and, with
// WriterOptions.Sync, fsynced) before Write returns, so a killed sweep loses
// nothing it measured. Resume reopens a table to continue it: it checks that
// the file's header is compatible with the run's (Header.Compatible), cuts off
// a torn last line and returns the rows already there.
//
// Open reads a table in any of the formats below, detected by content
// (DetectFormat): a first line with "nvitprof_table" is JSON Lines, a JSON
// object with EMB_e keys NViT's LUT, a first line naming CSV columns CSV;
// anything else (random bytes, another JSON file) is ErrNotATable, with a
// short escaped excerpt of what the file starts with, and an empty file
// ErrEmptyFile. CSV files and LUTs carry no
// header: OpenOptions give their tokens and batch, except for a published LUT
// that Open knows by the SHA-256 of its bytes (today NViT's released V100
// latency_head.json, which gets NViTV100Header and refuses other tokens or
// batch with an *OptionError). Table.Export writes a table in any format,
// and Table.WriteFile as a new JSON Lines file (atomically: complete or not
// at all).
//
// WriteCSV and ReadCSV convert rows to and from CSV with a line of column
// names (CSVColumns) for spreadsheets and hand-made tables; the table-wide
// header stays in the JSONL file.
//
// # NViT's latency table
//
// LUT reads and writes NVlabs/NViT's latency_head.json, the nested object
// EMB_e → QK_{H}_{qk} → V_v → MLP_m of seconds per full block, MLP_1 meaning
// a block without MLP:
//
//	{"EMB_256": {"QK_1_1": {"V_1": {"MLP_1": 0.0066716670989990234, "MLP_128": 0.007343173027038574, ...}}}}
//
// A file written by Python's json.dump reads and writes back byte for byte.
// LUT.Table turns it into block rows (NViTV100Header describes NViT's own V100
// file); Table.LUT builds one over a LUTGrid (Table.LUTGrid, the grid the
// table measured) and refuses when the table does not cover the grid.
//
// Blocks is the rule for whole blocks that the export and package
// costmodel's predictions share: a decomposed table (attn rows, and mlp
// rows or no block rows) gives a block as its attn row plus its mlp row,
// and its block rows, which validate additivity, are not used even where
// they measured the configuration; a table of whole blocks (NViT's) gives
// its block rows.
//
// NViT's loader (NVlabs/NViT, nvit/pruning_core/pruning_engine_general.py)
// hard-codes its grid, NViTGrid: EMB 256, 512, 768; heads 1, 3, 6, 9, 12; QK
// and V 1, 16, 32, 48, 64; MLP 0 (MLP_1) to 3072 by 128. It reads a file
// over exactly those keys; on any other grid it stops at the first key it
// misses (a KeyError). LUTGrid.CheckNViT says how a grid differs and which
// key that would be (*NViTGridError); costmodel.Resample writes any table
// onto NViT's grid.
package tablefmt
