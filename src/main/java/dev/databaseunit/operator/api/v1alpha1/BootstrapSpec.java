package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Where a new unit's data comes from. The operator restores only into a database without user tables (it
 * never overwrites data) and re-applies the erasure ledger before the unit becomes Ready. Changing the source
 * once set would change nothing already restored, so it is refused; removing the section is allowed.
 */
@ValidationRule(value = "self == oldSelf", message = "bootstrap is immutable; remove it or create a new DatabaseUnit")
public record BootstrapSpec(
    @Required @JsonPropertyDescription("Restore a backup that a BackupPolicy of this namespace took.") FromBackup fromBackup) {

  @ValidationRule(value = "!has(self.backupPolicy) || self.backupPolicy.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".backupPolicy",
      message = "backupPolicy " + ApiPatterns.K8S_NAME_MESSAGE)
  @ValidationRule(value = "!has(self.backupId) || self.backupId.matches(r\"" + ApiPatterns.BACKUP_ID + "\")", fieldPath = ".backupId",
      message = "backupId " + ApiPatterns.BACKUP_ID_MESSAGE)
  public record FromBackup(
      @Required @Size(max = 253)
          @JsonPropertyDescription("BackupPolicy (in this namespace) whose storage and encryption keys hold the backup.")
          String backupPolicy,
      @Size(max = 128)
          @JsonPropertyDescription("Id of the backup to restore (status.lastBackup.id of the policy, or a manifest's "
              + "backupId); the newest good backup of the policy when empty.")
          String backupId) {}
}
