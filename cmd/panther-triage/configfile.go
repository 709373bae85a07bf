package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/panther-triage/panther-triage/filter"
)

// The configuration file (--config, PANTHER_TRIAGE_CONFIG) is a YAML
// mapping with a key for any setting, named as its flag:
//
//	panther-url: https://api.acme.runpanther.net/public/graphql
//	webhook-secret: 5f2c…
//	severities: [HIGH, CRITICAL]   # a list, or "HIGH,CRITICAL"
//	settle: 30s
//	max-events: 500
//	dry-run: true
//
// A flag wins over the environment, which wins over the file, which wins
// over the default. Unknown keys, nested sections and values of the wrong
// shape are errors naming the file, line and key. The one nested section is
// context: the known networks, service accounts, VIP users and known-bad
// indicators, as in a context file (investigate.Lists):
//
//	context:
//	  known_networks:
//	    - {name: Office VPN, cidrs: [198.51.100.0/24]}
//	  service_accounts: [svc-deploy@acme.io]

// listSettings take a YAML list as well as comma-separated text.
var listSettings = []string{"severities", "statuses", "types", "tags-include", "tags-exclude", "comment-sections"}

// fileValue is one setting read from the configuration file: its value as
// the text a flag would carry, and where it was written.
type fileValue struct {
	value string
	where string // "path:line"
	// node is the section's YAML, for the one section that is not a
	// setting: context (the lists of investigate.Lists).
	node *yaml.Node
}

// yamlLine finds the line in yaml.v3's error messages ("yaml: line 3: …").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are yaml.v3's parser errors, whose line numbers it
// reports counted from 0; its scanner errors count from 1.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

// readConfigFile reads the settings in the YAML file at path, keyed by
// flag name. known says which keys are settings. Every problem is
// reported, one line each, as "path:line: key: problem"; the settings
// without a problem are returned all the same, so that the caller can
// report the problems of their values too.
func readConfigFile(path string, known func(key string) bool) (map[string]fileValue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]fileValue{}, nil // an empty file sets nothing
		}
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			if slices.Contains(yamlParserProblems, m[2]) {
				// yaml.v3 counts lines from 0 for parser errors (and
				// points at where the unclosed construct began).
				line++
			}
			return nil, fmt.Errorf("%s:%d: %s", path, line, m[2])
		}
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(msg, "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s:%d: one YAML document expected, found another", path, max(extra.Line, 1))
	}
	at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d", path, n.Line) }

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return map[string]fileValue{}, nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a mapping of settings (key: value), found %s", at(root), kindName(root))
	}

	out := map[string]fileValue{}
	seen := map[string]int{}
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("%s: a key must be a setting name, found %s", at(k), kindName(k)))
			continue
		}
		if line, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%s: %s: set twice (first on line %d)", at(k), key, line))
			continue
		}
		seen[key] = k.Line
		switch {
		case key == "config":
			errs = append(errs, fmt.Errorf("%s: config: a configuration file cannot name another; use --config or PANTHER_TRIAGE_CONFIG", at(k)))
			continue
		case key == "context":
			if v.Kind != yaml.MappingNode {
				errs = append(errs, fmt.Errorf("%s: context: takes a mapping of lists (known_networks, service_accounts, vip_users, known_bad), found %s", at(v), kindName(v)))
			} else {
				out[key] = fileValue{where: at(k), node: v}
			}
			continue
		case !known(key):
			errs = append(errs, fmt.Errorf("%s: unknown key %q%s", at(k), key, suggest(key, known)))
			continue
		}
		val, err := scalarOrList(key, v, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // "key:" with no value leaves the setting alone
		}
		out[key] = fileValue{value: val, where: at(k)}
	}
	return out, errors.Join(errs...)
}

// scalarOrList turns a setting's node into the text its flag would carry:
// a scalar as written, a list (for list settings) joined with commas.
func scalarOrList(key string, v *yaml.Node, at func(*yaml.Node) string) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		return v.Value, nil
	case yaml.SequenceNode:
		if !slices.Contains(listSettings, key) {
			return "", fmt.Errorf("%s: %s: takes one value, found a list", at(v), key)
		}
		items := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("%s: %s: list items must be single values, found %s", at(item), key, kindName(item))
			}
			if strings.Contains(item.Value, ",") {
				return "", fmt.Errorf("%s: %s: list item %q contains a comma; write one item per entry", at(item), key, item.Value)
			}
			items = append(items, item.Value)
		}
		return strings.Join(items, ","), nil
	case yaml.MappingNode:
		return "", fmt.Errorf("%s: %s: takes a value, found a nested mapping", at(v), key)
	case yaml.AliasNode:
		return "", fmt.Errorf("%s: %s: aliases are not supported; write the value", at(v), key)
	}
	return "", fmt.Errorf("%s: %s: unexpected %s", at(v), key, kindName(v))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "a YAML document"
}

// suggest names the setting an unknown key was probably meant to be: the
// flag of an environment variable, or the key with dashes for underscores.
func suggest(key string, known func(string) bool) string {
	for _, s := range settings() {
		if strings.EqualFold(key, s.env) {
			return fmt.Sprintf(" (the file takes flag names: %s)", s.flag)
		}
	}
	if k := strings.ToLower(strings.ReplaceAll(key, "_", "-")); k != key && known(k) {
		return fmt.Sprintf(" (did you mean %s?)", k)
	}
	return ""
}

// at prefixes err with where key was set in the configuration file, one
// line per problem; err is returned as it is when key was not set there.
func (c Config) at(key string, err error) error {
	where, ok := c.origin[key]
	if !ok || err == nil {
		return err
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = where + ": " + key + ": " + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

// filterErrors reports the problems of the filter settings, each with where
// it was set when that was the configuration file.
func (c Config) filterErrors() []error {
	var errs []error
	if _, err := filter.New(filter.Config{Severities: c.Severities}); err != nil {
		errs = append(errs, c.at("severities", err))
	}
	if _, err := filter.New(filter.Config{DetectionRegex: c.DetectionRegex}); err != nil {
		errs = append(errs, c.at("detection-regex", err))
	}
	if _, err := filter.New(c.filterConfig()); err != nil && len(errs) == 0 {
		errs = append(errs, err)
	}
	return errs
}

// resolveSettings gives each setting that no flag set its value from the
// environment, else from the configuration file (named by --config or
// PANTHER_TRIAGE_CONFIG), else leaves its default. It returns where each
// value taken from the file was written, by flag name, and the file's
// problems, and the context section if the file has one.
func resolveSettings(all []*setting, fs *flag.FlagSet, getenv func(string) string) (map[string]string, *fileValue, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	byFlag := make(map[string]*setting, len(all))
	for _, s := range all {
		byFlag[s.flag] = s
		if set[s.flag] {
			continue
		}
		if e := getenv(s.env); e != "" {
			*s.val = e
			set[s.flag] = true
		}
	}
	origin := map[string]string{}
	path := strings.TrimSpace(*byFlag["config"].val)
	if path == "" {
		return origin, nil, nil
	}
	values, err := readConfigFile(path, func(key string) bool { return byFlag[key] != nil })
	var context *fileValue
	for key, v := range values {
		if key == "context" {
			context = &v
			continue
		}
		if !set[key] {
			*byFlag[key].val = v.value
			origin[key] = v.where
		}
	}
	return origin, context, err
}
