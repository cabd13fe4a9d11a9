package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// The Helm chart's label on the operator's pods (helm/databaseunit-operator, selectorLabels).
const operatorSelector = "app.kubernetes.io/name=databaseunit-operator"

const logTailLines = int64(5000)

// Redact drops what a support bundle must not carry from one of our resources: managedFields (noise), the
// last-applied annotation (a copy of the spec), and a GdprRequest's subject id (personal data; status has its hash).
func Redact(o object) object {
	out := map[string]any{}
	for key, value := range o {
		out[key] = value
	}
	if meta := child(o, "metadata"); meta != nil {
		delete(meta, "managedFields")
		if annotations := child(meta, "annotations"); annotations != nil {
			delete(annotations, "kubectl.kubernetes.io/last-applied-configuration")
			meta["annotations"] = annotations
		}
		out["metadata"] = meta
	}
	if spec := child(o, "spec"); spec != nil && str(o, "kind") == "GdprRequest" {
		if _, ok := spec["subjectId"]; ok {
			spec["subjectId"] = "<redacted: status.subjectHash is its sha256>"
		}
		out["spec"] = spec
	}
	return out
}

type bundle struct {
	zip     *zip.Writer
	entries []string
	gaps    []string // what could not be collected, and why
}

func (b *bundle) add(path string, content []byte) error {
	w, err := b.zip.Create(path)
	if err != nil {
		return err
	}
	b.entries = append(b.entries, path)
	_, err = w.Write(content)
	return err
}

func (b *bundle) gap(format string, args ...any) {
	b.gaps = append(b.gaps, fmt.Sprintf(format, args...))
}

func (k *Kube) report(ctx context.Context, inv Invocation) error {
	path := inv.Output
	if path == "" {
		path = fmt.Sprintf("dbu-report-%s-%s.zip", k.Namespace, k.now().UTC().Format("20060102t150405z"))
	}
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	b := &bundle{zip: zip.NewWriter(file)}
	err = k.collect(ctx, inv, b)
	if closeErr := b.zip.Close(); err == nil {
		err = closeErr
	}
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(k.out, "support bundle %s (namespace %s): %d files\n", path, k.Namespace, len(b.entries))
	for _, entry := range b.entries {
		fmt.Fprintf(k.out, "  %s\n", entry)
	}
	for _, gap := range b.gaps {
		fmt.Fprintf(k.out, "  not collected: %s\n", gap)
	}
	return nil
}

func (k *Kube) collect(ctx context.Context, inv Invocation, b *bundle) error {
	var status bytes.Buffer
	statusKube := *k
	statusKube.out = &status
	if err := statusKube.status(ctx, Invocation{Command: "status"}); err != nil {
		b.gap("status: %v", err)
	} else if err := b.add("status.txt", status.Bytes()); err != nil {
		return err
	}
	for _, kind := range AllKinds {
		objects, err := k.list(ctx, kind)
		if err != nil {
			b.gap("%v", err)
			continue
		}
		for _, o := range objects {
			if err := b.addYAML(fmt.Sprintf("resources/%s/%s.yaml", kind.GVR.Resource, name(o)), Redact(o)); err != nil {
				return err
			}
		}
	}
	if err := k.collectEvents(ctx, b); err != nil {
		return err
	}
	if err := k.collectSecretNames(ctx, b); err != nil {
		return err
	}
	if err := k.collectPods(ctx, b, k.Namespace, "databaseunit.dev/unit", "managed"); err != nil {
		return err
	}
	return k.collectPods(ctx, b, inv.OperatorNS, operatorSelector, "operator")
}

func (b *bundle) addYAML(path string, v any) error {
	out, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return b.add(path, out)
}

func (k *Kube) collectEvents(ctx context.Context, b *bundle) error {
	events, err := k.core.Events(k.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.gap("events: %v", err)
		return nil
	}
	sort.Slice(events.Items, func(i, j int) bool { return eventTime(events.Items[i]) < eventTime(events.Items[j]) })
	var text strings.Builder
	for _, e := range events.Items {
		fmt.Fprintf(&text, "%s %-7s %-32s %s/%s x%d: %s\n", eventTime(e), e.Type, e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name,
			max(e.Count, 1), e.Message)
	}
	return b.add("events.txt", []byte(text.String()))
}

func eventTime(e corev1.Event) string {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.UTC().Format("2006-01-02T15:04:05Z")
	case !e.EventTime.IsZero():
		return e.EventTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	return e.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z")
}

// collectSecretNames lists Secrets through the metadata API: their data is never fetched, so it cannot leak.
func (k *Kube) collectSecretNames(ctx context.Context, b *bundle) error {
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	list, err := k.metadata.Resource(secrets).Namespace(k.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.gap("secret names: %v", err)
		return nil
	}
	var text strings.Builder
	text.WriteString("# Secrets in the namespace, by name only: their data is never read.\n")
	for _, s := range list.Items {
		text.WriteString(s.Name + "\n")
	}
	return b.add("secrets.txt", []byte(text.String()))
}

// collectPods writes each matching pod's phase and its containers' logs (the last lines of each).
func (k *Kube) collectPods(ctx context.Context, b *bundle, namespace, selector, role string) error {
	pods, err := k.core.Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		b.gap("%s pods (%s): %v", role, selector, err)
		return nil
	}
	if len(pods.Items) == 0 {
		where := "any namespace"
		if namespace != "" {
			where = "namespace " + namespace
		}
		b.gap("%s logs: no pod labelled %s in %s", role, selector, where)
		return nil
	}
	for _, pod := range pods.Items {
		summary := fmt.Sprintf("%s/%s phase %s node %s\n", pod.Namespace, pod.Name, pod.Status.Phase, pod.Spec.NodeName)
		for _, c := range pod.Status.ContainerStatuses {
			summary += fmt.Sprintf("  %s ready=%t restarts=%d\n", c.Name, c.Ready, c.RestartCount)
		}
		if err := b.add(fmt.Sprintf("pods/%s/%s/%s.txt", role, pod.Namespace, pod.Name), []byte(summary)); err != nil {
			return err
		}
		for _, c := range pod.Spec.Containers {
			tail := logTailLines
			stream, err := k.core.Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: c.Name, TailLines: &tail}).
				Stream(ctx)
			if err != nil {
				b.gap("logs of %s/%s %s: %v", pod.Namespace, pod.Name, c.Name, err)
				continue
			}
			logs, err := io.ReadAll(stream)
			stream.Close()
			if err != nil {
				b.gap("logs of %s/%s %s: %v", pod.Namespace, pod.Name, c.Name, err)
				continue
			}
			if err := b.add(fmt.Sprintf("logs/%s/%s/%s/%s.log", role, pod.Namespace, pod.Name, c.Name), logs); err != nil {
				return err
			}
		}
	}
	return nil
}
