// yaml-oracle reads YAML streams the way kubectl, Helm and Argo CD do, for parapet's differential
// YAML test (test/inputs/yaml-oracle.test.ts): k8s.io/apimachinery's multi-document reader splits a
// stream at `---` lines, and sigs.k8s.io/yaml turns each document into JSON (go-yaml v2 underneath).
//
// Batch protocol, so one process answers many thousands of streams: every line on stdin is a JSON
// string holding one YAML stream; for each, one line goes to stdout:
//
//	{"docs":[<JSON of each document>...]}          the stream as kubectl reads it
//	{"error":"..."}                                kubectl rejects the stream
//
// and on an accepted stream two flags where they hold: "duplicate" when a mapping states the same
// key twice (sigs.k8s.io/yaml keeps the last silently, YAMLToJSONStrict and yaml.v3 readers such as
// kustomize reject it), "collision" when two different keys become the same JSON key (`1` and
// `"1"`, `on` and `true`), where the value kept depends on Go's map order, and "strict" with the
// first error of sigs.k8s.io/yaml's YAMLToJSONStrict (repeated keys, merges over a set key).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"

	goyaml "go.yaml.in/yaml/v2"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type answer struct {
	Docs      []json.RawMessage `json:"docs,omitempty"`
	Error     string            `json:"error,omitempty"`
	Duplicate bool              `json:"duplicate,omitempty"`
	Collision bool              `json:"collision,omitempty"`
	Strict    string            `json:"strict,omitempty"`
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var text string
			if uerr := json.Unmarshal(line, &text); uerr != nil {
				fmt.Fprintf(os.Stderr, "yaml-oracle: input line is not a JSON string: %v\n", uerr)
				os.Exit(2)
			}
			if eerr := enc.Encode(read(text)); eerr != nil {
				fmt.Fprintf(os.Stderr, "yaml-oracle: %v\n", eerr)
				os.Exit(2)
			}
			if in.Buffered() == 0 {
				out.Flush()
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "yaml-oracle: %v\n", err)
			os.Exit(2)
		}
	}
}

// read converts one stream as apimachinery's YAMLToJSONDecoder does, document by document.
func read(text string) (a answer) {
	defer func() {
		if r := recover(); r != nil {
			a = answer{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader([]byte(text))))
	a.Docs = []json.RawMessage{}
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return a
		}
		if err != nil {
			return answer{Error: err.Error()}
		}
		converted, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return answer{Error: err.Error()}
		}
		a.Docs = append(a.Docs, converted)
		if _, serr := yaml.YAMLToJSONStrict(doc); serr != nil && a.Strict == "" {
			a.Strict = serr.Error()
		}
		var tree interface{}
		if goyaml.Unmarshal(doc, &tree) == nil && collides(tree) {
			a.Collision = true
		}
		var direct directKeys
		if goyaml.Unmarshal(doc, &direct) == nil && direct.duplicate {
			a.Duplicate = true
		}
	}
}

// jsonKey is the JSON key sigs.k8s.io/yaml makes of a go-yaml key (convertToJSONableObject).
func jsonKey(k interface{}) (string, bool) {
	switch key := k.(type) {
	case string:
		return key, true
	case int:
		return strconv.Itoa(key), true
	case int64:
		return strconv.FormatInt(key, 10), true
	case float64:
		s := strconv.FormatFloat(key, 'g', -1, 32)
		switch {
		case math.IsInf(key, 1):
			s = ".inf"
		case math.IsInf(key, -1):
			s = "-.inf"
		case math.IsNaN(key):
			s = ".nan"
		}
		return s, true
	case bool:
		return strconv.FormatBool(key), true
	}
	return "", false
}

// collides reports two keys of one mapping that become the same JSON key.
func collides(v interface{}) bool {
	switch node := v.(type) {
	case map[interface{}]interface{}:
		seen := map[string]bool{}
		for k, item := range node {
			s, ok := jsonKey(k)
			if ok && seen[s] {
				return true
			}
			seen[s] = true
			if collides(item) {
				return true
			}
		}
	case []interface{}:
		for _, item := range node {
			if collides(item) {
				return true
			}
		}
	}
	return false
}

// directKeys decodes a document with every mapping as a goyaml.MapSlice, which keeps the entries
// a mapping states itself, in order and with repeats (merged entries are not among them).
type directKeys struct {
	duplicate bool
}

func (d *directKeys) UnmarshalYAML(unmarshal func(interface{}) error) error {
	// A sequence of mappings also decodes into a MapSlice (as MapItem structs): ask the kind first.
	var kind interface{}
	if unmarshal(&kind) != nil {
		return nil
	}
	switch kind.(type) {
	case map[interface{}]interface{}:
		var ms goyaml.MapSlice
		if unmarshal(&ms) == nil {
			d.duplicate = repeated(ms)
		}
	case []interface{}:
		var seq []directKeys
		if unmarshal(&seq) == nil {
			for _, item := range seq {
				d.duplicate = d.duplicate || item.duplicate
			}
		}
	}
	return nil
}

func repeated(v interface{}) bool {
	switch node := v.(type) {
	case goyaml.MapSlice:
		for i, item := range node {
			for _, before := range node[:i] {
				if sameKey(before.Key, item.Key) {
					return true
				}
			}
			if repeated(item.Value) {
				return true
			}
		}
	case []interface{}:
		for _, item := range node {
			if repeated(item) {
				return true
			}
		}
	}
	return false
}

func sameKey(a, b interface{}) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}
