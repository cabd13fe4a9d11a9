// kstatus-check prints the verdict of cli-utils' kstatus (the library Flux, kpt and kubectl's apply --wait use)
// on one Kubernetes object read as JSON from standard input, e.g.
//
//	kubectl get du recipes -o json | kstatus-check
//
// Output: one JSON line {"status":"Current|InProgress|Failed|Terminating|NotFound|Unknown","message":"..."}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading standard input: %v", err)
	}
	var object unstructured.Unstructured
	if err := object.UnmarshalJSON(in); err != nil {
		fail("not a Kubernetes object: %v", err)
	}
	result, err := status.Compute(&object)
	if err != nil {
		fail("kstatus: %v", err)
	}
	out, _ := json.Marshal(map[string]string{"status": result.Status.String(), "message": result.Message})
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus-check: "+format+"\n", args...)
	os.Exit(2)
}
