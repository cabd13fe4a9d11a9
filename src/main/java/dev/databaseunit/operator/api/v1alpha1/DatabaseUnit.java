package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One application database: where it lives, its schema and vector indexes, its pooler, cache and monitoring. */
@Group(DatabaseUnit.GROUP)
@Version(DatabaseUnit.VERSION)
@ShortNames("du")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(name = "Pool", jsonPath = ".status.pooler.currentSize", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class DatabaseUnit extends CustomResource<DatabaseUnitSpec, DatabaseUnitStatus> implements Namespaced {
  public static final String GROUP = "databaseunit.dev";
  public static final String VERSION = "v1alpha1";

  @Override
  @JsonPropertyDescription("What the database should look like.")
  public DatabaseUnitSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What the operator observed and did, written by the operator only.")
  public DatabaseUnitStatus getStatus() {
    return super.getStatus();
  }
}
