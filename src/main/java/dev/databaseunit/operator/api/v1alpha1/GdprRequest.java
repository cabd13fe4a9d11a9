package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Export or erasure of one data subject of a DatabaseUnit. The spec cannot change once created. */
@Group(DatabaseUnit.GROUP)
@Version(DatabaseUnit.VERSION)
@ShortNames("gdpr")
@AdditionalPrinterColumn(name = "Unit", jsonPath = ".spec.databaseUnit")
@AdditionalPrinterColumn(name = "Type", jsonPath = ".spec.type")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class GdprRequest extends CustomResource<GdprRequestSpec, GdprRequestStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription("The subject, the unit and what to do; immutable once created.")
  public GdprRequestSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("Progress and the result of the export or erasure, written by the operator only.")
  public GdprRequestStatus getStatus() {
    return super.getStatus();
  }
}
