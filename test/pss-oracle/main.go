// Command pss-oracle answers, for each pod-bearing object it reads, whether the upstream Pod Security
// Admission checks (k8s.io/pod-security-admission, the code the API server runs) allow it at the
// baseline and restricted levels of a policy version (--version latest|v1.N, as the
// pod-security.kubernetes.io/enforce-version label says it). parapet's parity suites compare its own
// PSS policies against these answers.
//
// Input: one JSON object per line on stdin: a Pod, or any kind that carries a pod template
// (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate).
// Output: one JSON object per input line, in order:
//
//	{"line":1,"baseline":{"allowed":false,"forbidden":[{"check":"privileged","reason":"...","detail":"..."}]},
//	 "restricted":{"allowed":false,"forbidden":[...]}}
//
// or {"line":N,"error":"..."} when the line is not a decodable object. Blank lines are skipped.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"
)

type forbiddenCheck struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

type levelVerdict struct {
	Allowed   bool             `json:"allowed"`
	Forbidden []forbiddenCheck `json:"forbidden"`
}

type answer struct {
	Line       int           `json:"line"`
	Kind       string        `json:"kind,omitempty"`
	Name       string        `json:"name,omitempty"`
	Baseline   *levelVerdict `json:"baseline,omitempty"`
	Restricted *levelVerdict `json:"restricted,omitempty"`
	Error      string        `json:"error,omitempty"`
}

// resolvedCheck is one check at the requested policy version.
type resolvedCheck struct {
	id        policy.CheckID
	level     api.Level
	run       policy.CheckPodFn
	overrides []policy.CheckID
}

func main() {
	versionFlag := flag.String("version", "latest", `policy version to evaluate: "latest" or "v1.N"`)
	listFlag := flag.Bool("list-checks", false, "print the checks of each level at the policy version and exit")
	flag.Parse()

	version, err := api.ParseVersion(*versionFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pss-oracle: --version %q: %v\n", *versionFlag, err)
		os.Exit(2)
	}
	checks := policy.DefaultChecks()
	evaluator, err := policy.NewEvaluator(checks, nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pss-oracle: building the evaluator: %v\n", err)
		os.Exit(2)
	}
	resolved := resolveChecks(checks, version)
	baselineIDs, restrictedIDs := levelChecks(resolved)

	if *listFlag {
		module, newest := moduleVersion()
		out, _ := json.Marshal(map[string]any{"version": version.String(), "module": module, "newest": newest, "baseline": baselineIDs, "restricted": restrictedIDs})
		fmt.Println(string(out))
		return
	}

	byID := map[policy.CheckID]resolvedCheck{}
	for _, check := range resolved {
		byID[check.id] = check
	}

	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 0, 1<<20), 64<<20)
	writer := bufio.NewWriter(os.Stdout)
	defer writer.Flush()
	encoder := json.NewEncoder(writer)

	line := 0
	for scanner.Scan() {
		line++
		raw := scanner.Bytes()
		if len(trimSpace(raw)) == 0 {
			continue
		}
		result := answer{Line: line}
		kind, name, meta, spec, err := extractPod(raw)
		result.Kind, result.Name = kind, name
		if err != nil {
			result.Error = err.Error()
		} else {
			result.Baseline = evaluate(api.LevelBaseline, version, baselineIDs, byID, evaluator, meta, spec)
			result.Restricted = evaluate(api.LevelRestricted, version, restrictedIDs, byID, evaluator, meta, spec)
		}
		// Flush per answer: callers may hold the process open and send one pod at a time.
		writeErr := encoder.Encode(result)
		if writeErr == nil {
			writeErr = writer.Flush()
		}
		if writeErr != nil {
			fmt.Fprintf(os.Stderr, "pss-oracle: writing output: %v\n", writeErr)
			os.Exit(2)
		}
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "pss-oracle: reading stdin: %v\n", err)
		os.Exit(2)
	}
}

// moduleVersion is the k8s.io/pod-security-admission module this binary was built with (v0.37.2), and
// the Kubernetes version it is the latest policy of (v1.37): staging modules are versioned v0.N for
// Kubernetes v1.N.
func moduleVersion() (module, newest string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	for _, dep := range info.Deps {
		if dep.Path != "k8s.io/pod-security-admission" {
			continue
		}
		parts := strings.SplitN(strings.TrimPrefix(dep.Version, "v0."), ".", 2)
		return dep.Version, "v1." + parts[0]
	}
	return "", ""
}

// resolveChecks picks, for every check, the newest revision whose minimum version is not newer than
// the requested version — the same choice the upstream evaluator makes.
func resolveChecks(checks []policy.Check, version api.Version) []resolvedCheck {
	var out []resolvedCheck
	for _, check := range checks {
		var chosen *policy.VersionedCheck
		for i := range check.Versions {
			candidate := check.Versions[i]
			if version.Older(candidate.MinimumVersion) {
				break
			}
			chosen = &check.Versions[i]
		}
		if chosen == nil {
			continue
		}
		out = append(out, resolvedCheck{id: check.ID, level: check.Level, run: chosen.CheckPod, overrides: chosen.OverrideCheckIDs})
	}
	return out
}

// levelChecks lists the check ids each level runs: baseline runs the baseline checks; restricted runs
// the restricted checks plus every baseline check no restricted check overrides.
func levelChecks(resolved []resolvedCheck) (baseline, restricted []string) {
	overridden := map[policy.CheckID]bool{}
	for _, check := range resolved {
		if check.level == api.LevelRestricted {
			for _, id := range check.overrides {
				overridden[id] = true
			}
		}
	}
	for _, check := range resolved {
		switch check.level {
		case api.LevelBaseline:
			baseline = append(baseline, string(check.id))
			if !overridden[check.id] {
				restricted = append(restricted, string(check.id))
			}
		case api.LevelRestricted:
			restricted = append(restricted, string(check.id))
		}
	}
	sort.Strings(baseline)
	sort.Strings(restricted)
	return baseline, restricted
}

// evaluate runs the level's checks one by one (to name the failing ones) and cross-checks the overall
// verdict with the upstream evaluator, so a drift in how checks are composed cannot go unnoticed.
func evaluate(level api.Level, version api.Version, ids []string, byID map[policy.CheckID]resolvedCheck, evaluator policy.Evaluator, meta *metav1.ObjectMeta, spec *corev1.PodSpec) *levelVerdict {
	verdict := &levelVerdict{Allowed: true, Forbidden: []forbiddenCheck{}}
	for _, id := range ids {
		result := byID[policy.CheckID(id)].run(meta, spec)
		if !result.Allowed {
			verdict.Allowed = false
			verdict.Forbidden = append(verdict.Forbidden, forbiddenCheck{Check: id, Reason: result.ForbiddenReason, Detail: result.ForbiddenDetail})
		}
	}
	upstream := policy.AggregateCheckResults(evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, meta, spec))
	if upstream.Allowed != verdict.Allowed {
		fmt.Fprintf(os.Stderr, "pss-oracle: internal disagreement at level %s: evaluator allowed=%v, per-check allowed=%v\n", level, upstream.Allowed, verdict.Allowed)
		os.Exit(3)
	}
	return verdict
}

type typeMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// extractPod returns the pod metadata and spec the admission plugin would check for this object: as
// the API server hands it over, after defaulting.
func extractPod(raw []byte) (kind, name string, meta *metav1.ObjectMeta, spec *corev1.PodSpec, err error) {
	kind, name, meta, spec, err = decodePod(raw)
	if spec != nil {
		applyDefaults(spec)
	}
	return kind, name, meta, spec, err
}

// applyDefaults applies the API server's defaulting that changes what Pod Security Admission sees
// (k8s.io/kubernetes pkg/apis/core/v1 SetDefaults_Volume): a volume with no source is an emptyDir.
// The module's own restricted pass fixtures rely on it (restrictedvolumes0: "- name: volume0").
func applyDefaults(spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		if ptr.AllPtrFieldsNil(&spec.Volumes[i].VolumeSource) {
			spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		}
	}
}

func decodePod(raw []byte) (kind, name string, meta *metav1.ObjectMeta, spec *corev1.PodSpec, err error) {
	var head typeMeta
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", "", nil, nil, fmt.Errorf("not a JSON object: %v", err)
	}
	kind, name = head.Kind, head.Metadata.Name
	decode := func(into any) error {
		if err := json.Unmarshal(raw, into); err != nil {
			return fmt.Errorf("decoding %s: %v", kindOrPod(kind), err)
		}
		return nil
	}
	switch kind {
	case "", "Pod":
		var pod corev1.Pod
		if err := decode(&pod); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &pod.ObjectMeta, &pod.Spec, nil
	case "PodTemplate":
		var template corev1.PodTemplate
		if err := decode(&template); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &template.Template.ObjectMeta, &template.Template.Spec, nil
	case "ReplicationController":
		var rc corev1.ReplicationController
		if err := decode(&rc); err != nil {
			return kind, name, nil, nil, err
		}
		if rc.Spec.Template == nil {
			return kind, name, nil, nil, fmt.Errorf("ReplicationController %q has no spec.template", name)
		}
		return kind, name, &rc.Spec.Template.ObjectMeta, &rc.Spec.Template.Spec, nil
	case "Deployment":
		var object appsv1.Deployment
		if err := decode(&object); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &object.Spec.Template.ObjectMeta, &object.Spec.Template.Spec, nil
	case "StatefulSet":
		var object appsv1.StatefulSet
		if err := decode(&object); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &object.Spec.Template.ObjectMeta, &object.Spec.Template.Spec, nil
	case "DaemonSet":
		var object appsv1.DaemonSet
		if err := decode(&object); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &object.Spec.Template.ObjectMeta, &object.Spec.Template.Spec, nil
	case "ReplicaSet":
		var object appsv1.ReplicaSet
		if err := decode(&object); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &object.Spec.Template.ObjectMeta, &object.Spec.Template.Spec, nil
	case "Job":
		var object batchv1.Job
		if err := decode(&object); err != nil {
			return kind, name, nil, nil, err
		}
		return kind, name, &object.Spec.Template.ObjectMeta, &object.Spec.Template.Spec, nil
	case "CronJob":
		var object batchv1.CronJob
		if err := decode(&object); err != nil {
			return kind, name, nil, nil, err
		}
		template := &object.Spec.JobTemplate.Spec.Template
		return kind, name, &template.ObjectMeta, &template.Spec, nil
	default:
		return kind, name, nil, nil, fmt.Errorf("kind %q carries no pod template", kind)
	}
}

func kindOrPod(kind string) string {
	if kind == "" {
		return "Pod"
	}
	return kind
}

func trimSpace(b []byte) []byte {
	start, end := 0, len(b)
	for start < end && (b[start] == ' ' || b[start] == '\t' || b[start] == '\r') {
		start++
	}
	for end > start && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\r') {
		end--
	}
	return b[start:end]
}
