package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Where a data subject's rows live. The list order is the deletion order (children first). */
@ValidationRule(value = "self.subjectTables.all(t, self.subjectTables.exists_one(u, u.table == t.table))",
    message = "subjectTables must not repeat a table")
@ValidationRule(value = "!has(self.auditTable) || self.auditTable.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".auditTable",
    message = "auditTable " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
@ValidationRule(value = "!has(self.exportStorage) || has(self.exportEncryption)",
    message = "exports are encrypted at rest: set exportEncryption.keyEncryptionKey with exportStorage")
public record GdprSpec(
    @Required @Size(min = 1, max = 32) @JsonPropertyDescription("Subject tables in deletion order.")
        List<SubjectTable> subjectTables,
    @Default("gdpr_audit_log") @Size(max = 63)
        @JsonPropertyDescription("Append-only audit table in the unit's database.") String auditTable,
    @JsonPropertyDescription("Bucket that Export requests write to; an Export is refused without it.")
        BackupPolicySpec.ObjectStorage exportStorage,
    @JsonPropertyDescription("How exports are encrypted at rest: with the backup envelope (AES-256-GCM under a per-export data "
        + "key wrapped by this key-encryption key). The object is <key>.enc, its manifest <key>.manifest.json; "
        + "scripts/decrypt-backup.sh opens them with the key.") ExportEncryption exportEncryption,
    @JsonPropertyDescription("Secret key (base64 of at least 32 random bytes) of the HMAC that pseudonymises subject ids in "
        + "the audit trail, the erasure ledger and status. When unset the operator makes the Secret <unit>-gdpr-subject-key "
        + "once; a unit bootstrapped from another unit's backups names that unit's key, so their erasures re-apply.")
        SecretKeyRef subjectHashKey) {

  public record ExportEncryption(
      @Required @JsonPropertyDescription("Key-encryption key (32 bytes, base64) that wraps each export's data key.")
          SecretKeyRef keyEncryptionKey) {}

  /** A table holding subject rows, directly (subjectColumn) or through a parent table (via). */
  @ValidationRule(value = "has(self.subjectColumn) != has(self.via)", message = "set exactly one of subjectColumn or via")
  @ValidationRule(value = "!has(self.table) || self.table.matches(r\"" + ApiPatterns.SQL_TABLE + "\")", fieldPath = ".table",
      message = "table " + ApiPatterns.SQL_TABLE_MESSAGE)
  @ValidationRule(value = "!has(self.subjectColumn) || self.subjectColumn.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".subjectColumn",
      message = "subjectColumn " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
  public record SubjectTable(
      @Required @Size(max = 127) @JsonPropertyDescription("The table.") String table,
      @Size(max = 63) @JsonPropertyDescription("Column holding the subject id.") String subjectColumn,
      @JsonPropertyDescription("Join to a parent table that holds the subject id.") JoinPath via) {}

  /** table.column references parentTable.parentKey, and parentTable.subjectColumn holds the subject id. */
  @ValidationRule(value = "!has(self.column) || self.column.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".column",
      message = "column " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
  @ValidationRule(value = "!has(self.parentTable) || self.parentTable.matches(r\"" + ApiPatterns.SQL_TABLE + "\")", fieldPath = ".parentTable",
      message = "parentTable " + ApiPatterns.SQL_TABLE_MESSAGE)
  @ValidationRule(value = "!has(self.parentKey) || self.parentKey.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".parentKey",
      message = "parentKey " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
  @ValidationRule(value = "!has(self.subjectColumn) || self.subjectColumn.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".subjectColumn",
      message = "subjectColumn " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
  public record JoinPath(
      @Required @Size(max = 63) @JsonPropertyDescription("Foreign key column in this table.") String column,
      @Required @Size(max = 127) @JsonPropertyDescription("Parent table.") String parentTable,
      @Default("id") @Size(max = 63) @JsonPropertyDescription("Referenced key of the parent.")
          String parentKey,
      @Required @Size(max = 63) @JsonPropertyDescription("Parent column holding the subject id.")
          String subjectColumn) {}
}
