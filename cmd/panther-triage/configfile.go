package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
	"gopkg.in/yaml.v3"

	"github.com/panther-triage/panther-triage/filter"
)

// The configuration file (--config, PANTHER_TRIAGE_CONFIG) is a YAML
// mapping with a key for any setting, named as its flag, written at the
// top level or in its section (the group of its declaration in Config):
//
//	panther:
//	  panther-url: https://api.acme.runpanther.net/public/graphql
//	webhook-secret: 5f2c…
//	filter:
//	  severities: [HIGH, CRITICAL]   # a list, or "HIGH,CRITICAL"
//	settle: 30s
//	dry-run: true
//
// A flag wins over the environment, which wins over the file, which wins
// over the default. Every problem (syntax, unknown key, wrong shape or type,
// bad value) is one line naming the file, line and key. The section context
// holds the known networks, service accounts, VIP users and known-bad
// indicators, as in a context file (investigate.Lists), with keys spelled
// like every other key:
//
//	context:
//	  known-networks:
//	    - {name: Office VPN, cidrs: [198.51.100.0/24]}
//	  service-accounts: [svc-deploy@acme.io]

// fileValue is one setting read from the configuration file: its value as
// the text a flag would carry, and where it was written.
type fileValue struct {
	value string
	where string // "path:line"
	// node is the context section's YAML (the lists of investigate.Lists).
	node *yaml.Node
}

// configFile is what the configuration file holds.
type configFile struct {
	values   map[string]fileValue // by flag name
	context  *fileValue
	warnings []string
}

// contextKeys are the context section's keys, and their spelling in a
// context file, which the section accepts for one release with a warning.
var contextKeys = map[string]string{
	"known-networks": "known_networks", "service-accounts": "service_accounts",
	"vip-users": "vip_users", "known-bad": "known_bad",
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

// readConfigFile reads the settings in the YAML file at path. Every problem
// is reported, one line each, as "path:line: key: problem"; the settings
// without a problem are returned all the same, so that the caller can
// report the problems of their values too.
func readConfigFile(path string) (configFile, error) {
	out := configFile{values: map[string]fileValue{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return out, fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return out, nil // an empty file sets nothing
		}
		return out, yamlError(path, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return out, fmt.Errorf("%s:%d: one YAML document expected, found another", path, max(extra.Line, 1))
	}
	at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d", path, n.Line) }

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return out, nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return out, fmt.Errorf("%s: want a mapping of settings (key: value), found %s", at(root), kindName(root))
	}

	seen := map[string]int{}
	var errs []error
	var read func(m *yaml.Node, section string)
	read = func(m *yaml.Node, section string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
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
			s, known := settingByFlag(key)
			switch {
			case key == "config":
				errs = append(errs, fmt.Errorf("%s: config: a configuration file cannot name another; use --config or PANTHER_TRIAGE_CONFIG", at(k)))
			case key == "context" && section == "":
				if v.Kind != yaml.MappingNode {
					errs = append(errs, fmt.Errorf("%s: context: takes a mapping of lists (%s), found %s", at(v), "known-networks, service-accounts, vip-users, known-bad", kindName(v)))
					continue
				}
				out.warnings = append(out.warnings, respellContext(v, at)...)
				out.context = &fileValue{where: at(k), node: v}
			case section == "" && slices.Contains(sections(), key):
				if v.Kind != yaml.MappingNode {
					errs = append(errs, fmt.Errorf("%s: %s: a section takes a mapping of its settings, found %s", at(v), key, kindName(v)))
					continue
				}
				read(v, key)
			case !known:
				errs = append(errs, fmt.Errorf("%s: unknown key %q%s", at(k), key, suggest(key)))
			case section != "" && s.group != section:
				errs = append(errs, fmt.Errorf("%s: %s: belongs in section %s or at the top level, not in %s", at(k), key, cmp.Or(s.group, "(none)"), section))
			default:
				val, err := scalarOrList(s, v, at)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
					continue // "key:" with no value leaves the setting alone
				}
				out.values[key] = fileValue{value: val, where: at(k)}
			}
		}
	}
	read(root, "")
	return out, errors.Join(errs...)
}

// yamlError turns yaml.v3's parse error into "path:line: problem".
func yamlError(path string, data []byte, err error) error {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(msg, "yaml: "))
	}
	line, _ := strconv.Atoi(m[1])
	if slices.Contains(yamlParserProblems, m[2]) {
		// yaml.v3 counts lines from 0 for parser errors (and points at
		// where the unclosed construct began).
		line++
	}
	// A tab where YAML wants spaces gives a parser message that does not
	// say so.
	for i, l := range strings.Split(string(data), "\n") {
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(indent, "\t") {
			return fmt.Errorf("%s:%d: a tab indents this line; YAML indents with spaces only", path, i+1)
		}
	}
	return fmt.Errorf("%s:%d: %s", path, line, m[2])
}

// respellContext renames the context section's keys spelled as in a
// context file (vip_users) to that spelling, which investigate.ListsFromYAML
// reads, and warns about them; the documented spelling (vip-users) is
// renamed silently.
func respellContext(section *yaml.Node, at func(*yaml.Node) string) []string {
	var warnings []string
	for i := 0; i+1 < len(section.Content); i += 2 {
		k := section.Content[i]
		if old, ok := contextKeys[k.Value]; ok {
			k.Value = old
			continue
		}
		for key, old := range contextKeys {
			if k.Value == old {
				warnings = append(warnings, fmt.Sprintf("%s: context: %s is the old spelling of %s; it is read for one more release", at(k), old, key))
			}
		}
	}
	return warnings
}

// contextError reports a problem of the context section as
// "path:line: context: problem", with keys in the file's spelling.
func contextError(err error, file string) error {
	prefix := regexp.MustCompile(`^context section of (.*), line (\d+): `)
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		l = prefix.ReplaceAllString(l, "$1:$2: context: ")
		for key, old := range contextKeys {
			l = strings.ReplaceAll(l, old, key)
		}
		lines[i] = l
	}
	return errors.New(strings.Join(lines, "\n"))
}

// scalarOrList turns a setting's node into the text its flag would carry:
// a scalar as written, a list (for list settings) joined with commas.
func scalarOrList(s setting, v *yaml.Node, at func(*yaml.Node) string) (string, error) {
	key := s.flag
	switch v.Kind {
	case yaml.ScalarNode:
		return v.Value, nil
	case yaml.SequenceNode:
		if s.typeName() != "list" {
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

// suggest names the key an unknown key was probably meant to be: the flag
// of an environment variable, or the nearest key or section name.
func suggest(key string) string {
	var names []string
	for _, s := range settings() {
		if strings.EqualFold(key, s.env) {
			return fmt.Sprintf(" (the file takes flag names: %s)", s.flag)
		}
		names = append(names, s.flag)
	}
	names = append(names, sections()...)
	names = append(names, "context")
	if k := strings.ToLower(strings.ReplaceAll(key, "_", "-")); k != key && slices.Contains(names, k) {
		return fmt.Sprintf(" (did you mean %s?)", k)
	}
	best, bestDist := "", 0
	for _, n := range names {
		d := levenshtein.ComputeDistance(strings.ToLower(key), n)
		if best == "" || d < bestDist {
			best, bestDist = n, d
		}
	}
	if bestDist <= max(2, len(key)/4) {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// at prefixes each line of err with where setting key was given (see
// where).
func (c Config) at(key string, err error) error {
	if err == nil {
		return nil
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = c.where(key) + ": " + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

// filterErrors reports the problems of the filter settings, each with where
// it was set.
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
