package main

import (
	"errors"
	"fmt"
	"io/fs"
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
		s, err := arch.ReadFile(file)
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			return arch.Spec{}, fmt.Errorf("read arch: %w", err)
		}
		return s, err
	}
	return arch.Spec{}, usagef("choose an architecture with --preset NAME or --arch FILE.json")
}

// loadArch reads the architecture a flag names: a preset, else an NViT dim
// file. Neither is a usage error naming the flag.
func loadArch(flag, name string) (arch.Spec, error) {
	if s, err := arch.Preset(name); err == nil {
		return s, nil
	}
	s, err := arch.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		_, perr := arch.Preset(name)
		return arch.Spec{}, usagef("--%s: %v, and no file of that name", flag, perr)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return arch.Spec{}, fmt.Errorf("read --%s: %w", flag, err)
	}
	return s, err
}
