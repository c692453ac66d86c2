package arch

import (
	"fmt"
	"os"
)

// ReadFile reads the NViT dim file at path (ParseFile). An error reading
// the file is returned as it is; one in its content names the path.
func ReadFile(path string) (Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, err
	}
	s, err := ParseFile(data)
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadRuleFile reads the rule file at path (ParseRule). An error reading
// the file is returned as it is; one in its content names the path.
func ReadRuleFile(path string) (Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Rule{}, err
	}
	r, err := ParseRule(data)
	if err != nil {
		return Rule{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
