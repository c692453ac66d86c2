package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/urfave/cli/v2"
)

// specFlags choose an architecture: a preset name or an NViT dim JSON file.
func specFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "preset", Aliases: []string{"p"}, Usage: "architecture preset: " + strings.Join(arch.PresetNames(), ", ")},
		&cli.StringFlag{Name: "arch", Aliases: []string{"a"}, Usage: "architecture file: NViT dim JSON `FILE` ({\"EMB\":..,\"head\":[..],\"QK\":[..],\"V\":[..],\"MLP\":[..]})"},
	}
}

// loadSpec reads the architecture the --preset or --arch flag names.
func loadSpec(c *cli.Context) (arch.Spec, error) {
	preset, file := c.String("preset"), c.String("arch")
	switch {
	case preset != "" && file != "":
		return arch.Spec{}, usagef("give --preset or --arch, not both")
	case preset != "":
		s, err := arch.Preset(preset)
		if err != nil {
			return arch.Spec{}, usageError{err}
		}
		return s, nil
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return arch.Spec{}, fmt.Errorf("read arch: %w", err)
		}
		s, err := arch.ParseFile(data)
		if err != nil {
			return arch.Spec{}, fmt.Errorf("%s: %w", file, err)
		}
		return s, nil
	}
	return arch.Spec{}, usagef("choose an architecture with --preset NAME or --arch FILE.json")
}
