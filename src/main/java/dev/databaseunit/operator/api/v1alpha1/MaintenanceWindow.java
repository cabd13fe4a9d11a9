package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A drained, ordered maintenance run of one DatabaseUnit (or a selection of units), with rollback. */
@Group(DatabaseUnit.GROUP)
@Version(DatabaseUnit.VERSION)
@ShortNames("mw")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
// STRING, not DATE: kubectl renders a future timestamp in a DATE column as <invalid>.
@AdditionalPrinterColumn(name = "Next Window", jsonPath = ".status.nextWindowStart")
@AdditionalPrinterColumn(name = "Last Outcome", jsonPath = ".status.lastRun.outcome")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class MaintenanceWindow extends CustomResource<MaintenanceWindowSpec, MaintenanceWindowStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription("Which units to maintain, when, for how long, and which tasks to run in which order.")
  public MaintenanceWindowSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("The next window, the run underway and the last run, written by the operator only.")
  public MaintenanceWindowStatus getStatus() {
    return super.getStatus();
  }
}
