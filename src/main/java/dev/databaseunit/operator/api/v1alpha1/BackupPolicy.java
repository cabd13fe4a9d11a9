package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Scheduled, encrypted, tiered backups of one DatabaseUnit and automated restore tests. */
@Group(DatabaseUnit.GROUP)
@Version(DatabaseUnit.VERSION)
@ShortNames("bp")
@AdditionalPrinterColumn(name = "Unit", jsonPath = ".spec.databaseUnit")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Last Backup", jsonPath = ".status.lastBackup.endTime", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Restore Test", jsonPath = ".status.lastRestoreTest.outcome")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class BackupPolicy extends CustomResource<BackupPolicySpec, BackupPolicyStatus> implements Namespaced {
  @Override
  @JsonPropertyDescription("Which unit to back up, when, where to, how it is encrypted and how restores are tested.")
  public BackupPolicySpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("Schedule state, the backup underway and the last backup and restore test, written by the operator only.")
  public BackupPolicyStatus getStatus() {
    return super.getStatus();
  }
}
