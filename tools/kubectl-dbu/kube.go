package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/clientcmd"
)

// Kind is one of our CRDs, as the dynamic client addresses it.
type Kind struct {
	Name string // Kind, for messages
	GVR  schema.GroupVersionResource
}

func ours(resource, kind string) Kind {
	return Kind{kind, schema.GroupVersionResource{Group: "databaseunit.dev", Version: "v1alpha1", Resource: resource}}
}

var (
	DatabaseUnits      = ours("databaseunits", "DatabaseUnit")
	BackupPolicies     = ours("backuppolicies", "BackupPolicy")
	MaintenanceWindows = ours("maintenancewindows", "MaintenanceWindow")
	GdprRequests       = ours("gdprrequests", "GdprRequest")
	AllKinds           = []Kind{DatabaseUnits, BackupPolicies, MaintenanceWindows, GdprRequests}
)

// Kube is the API server as the plugin uses it: our resources through the dynamic client, core objects typed, and
// Secrets through the metadata client only, so their data never reaches this process.
type Kube struct {
	Namespace string
	User      string // the kubeconfig context's user, the default requester of GDPR requests
	dynamic   dynamic.Interface
	core      corev1client.CoreV1Interface
	metadata  metadata.Interface
	out, log  io.Writer
	now       func() time.Time
	poll      time.Duration
}

func connect(inv Invocation, out, log io.Writer) (*Kube, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if inv.Kubeconfig != "" {
		rules.ExplicitPath = inv.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{}
	if inv.Namespace != "" {
		overrides.Context.Namespace = inv.Namespace
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	config, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	namespace, _, err := loader.Namespace()
	if err != nil {
		return nil, fmt.Errorf("reading the namespace from kubeconfig: %w", err)
	}
	user := ""
	if raw, err := loader.RawConfig(); err == nil {
		current := raw.CurrentContext
		if overrides.CurrentContext != "" {
			current = overrides.CurrentContext
		}
		if c, ok := raw.Contexts[current]; ok {
			user = c.AuthInfo
		}
	}
	config.UserAgent = "kubectl-dbu"
	now, err := clock()
	if err != nil {
		return nil, err
	}
	k := &Kube{Namespace: namespace, User: user, out: out, log: log, now: now, poll: time.Second}
	if k.dynamic, err = dynamic.NewForConfig(config); err != nil {
		return nil, err
	}
	if k.core, err = corev1client.NewForConfig(config); err != nil {
		return nil, err
	}
	if k.metadata, err = metadata.NewForConfig(config); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Kube) resource(kind Kind) dynamic.ResourceInterface {
	return k.dynamic.Resource(kind.GVR).Namespace(k.Namespace)
}

func (k *Kube) list(ctx context.Context, kind Kind) ([]object, error) {
	list, err := k.resource(kind).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing %s in namespace %s: %w", kind.GVR.Resource, k.Namespace, err)
	}
	out := make([]object, 0, len(list.Items))
	for _, item := range list.Items {
		out = append(out, item.Object)
	}
	sort.Slice(out, func(i, j int) bool { return name(out[i]) < name(out[j]) })
	return out, nil
}

// get reads one of our resources; a missing one is an error that names it and lists those that exist.
func (k *Kube) get(ctx context.Context, kind Kind, resourceName string) (object, error) {
	o, err := k.resource(kind).Get(ctx, resourceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, k.notFound(ctx, kind, resourceName)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", kind.Name, resourceName, err)
	}
	return o.Object, nil
}

func (k *Kube) notFound(ctx context.Context, kind Kind, resourceName string) error {
	existing, err := k.list(ctx, kind)
	if err != nil {
		return fmt.Errorf("%s %q not found in namespace %s", kind.Name, resourceName, k.Namespace)
	}
	return fmt.Errorf("%s", NotFoundMessage(kind.Name, resourceName, k.Namespace, names(existing)))
}

// NotFoundMessage says which resource is missing and which of its kind exist.
func NotFoundMessage(kind, missing, namespace string, existing []string) string {
	if len(existing) == 0 {
		return fmt.Sprintf("%s %q not found in namespace %s: there is none in this namespace (use -n to pick another)", kind, missing,
			namespace)
	}
	return fmt.Sprintf("%s %q not found in namespace %s; existing: %s", kind, missing, namespace, strings.Join(existing, ", "))
}

func names(objects []object) []string {
	out := make([]string, 0, len(objects))
	for _, o := range objects {
		out = append(out, name(o))
	}
	return out
}

func (k *Kube) mergePatch(ctx context.Context, kind Kind, resourceName, patch string) (object, error) {
	o, err := k.resource(kind).Patch(ctx, resourceName, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-dbu"})
	if err != nil {
		return nil, fmt.Errorf("patching %s %s: %w", kind.Name, resourceName, err)
	}
	return o.Object, nil
}

// errTimeout is waiting longer than --timeout: the request stands, its outcome is not known yet.
type errTimeout struct{ what string }

func (e errTimeout) Error() string { return e.what }

// waitFor reads the resource every poll interval until done says it is finished, printing each new progress line
// (the text progress returns) with the time waited so far.
func (k *Kube) waitFor(ctx context.Context, kind Kind, resourceName string, timeout time.Duration,
	check func(object) (done bool, progress string)) (object, error) {
	start := k.now()
	last := ""
	for {
		o, err := k.get(ctx, kind, resourceName)
		if err != nil {
			return nil, err
		}
		done, progress := check(o)
		if done {
			return o, nil
		}
		if progress != last {
			fmt.Fprintf(k.log, "[%s] %s\n", human(k.now().Sub(start)), progress)
			last = progress
		}
		if k.now().Sub(start) >= timeout {
			return o, errTimeout{fmt.Sprintf("timed out after %s waiting for %s %s (last: %s); the request stands: look again "+
				"with `kubectl dbu status` or a longer --timeout", timeout, kind.Name, resourceName, progress)}
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(k.poll):
		}
	}
}
