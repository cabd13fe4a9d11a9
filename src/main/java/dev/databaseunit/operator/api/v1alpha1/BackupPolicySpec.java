package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Seed defaults: daily at 03:00 UTC kept 30 days; weekly kept 12 weeks and copied cross-region; monthly restore tests. */
@ValidationRule(value = "self.schedules.all(s, self.schedules.exists_one(t, t.tier == s.tier))",
    message = "schedules must have unique tiers")
@ValidationRule(value = "!self.schedules.exists(s, s.copyToSecondary) || has(self.secondaryStorage)",
    message = "secondaryStorage is required when a schedule sets copyToSecondary")
@ValidationRule(value = "!has(self.databaseUnit) || self.databaseUnit.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".databaseUnit",
    message = "databaseUnit " + ApiPatterns.K8S_NAME_MESSAGE)
public record BackupPolicySpec(
    @Required @Size(max = 253) @JsonPropertyDescription("The DatabaseUnit to back up, in this namespace.")
        String databaseUnit,
    @Default("[{\"tier\":\"daily\",\"cron\":\"0 0 3 * * ?\",\"timeZone\":\"UTC\",\"window\":\"1h\",\"retention\":\"30d\",\"copyToSecondary\":false},"
        + "{\"tier\":\"weekly\",\"cron\":\"0 0 3 ? * SUN\",\"timeZone\":\"UTC\",\"window\":\"1h\",\"retention\":\"84d\",\"copyToSecondary\":true}]")
        @Size(min = 1, max = 8) @JsonPropertyDescription("Backup tiers, each with its schedule, window and retention.")
        List<BackupSchedule> schedules,
    @Required @JsonPropertyDescription("Where backups are stored.") ObjectStorage storage,
    @JsonPropertyDescription("Second bucket or region for cross-region copies.") ObjectStorage secondaryStorage,
    @Required @JsonPropertyDescription("Envelope encryption of every backup.") Encryption encryption,
    @Default("{}") @JsonPropertyDescription("Point-in-time recovery via WAL archiving. Not implemented yet: the operator "
        + "takes logical backups only, so a restore reaches the newest backup, not any moment; enabled: true is reported "
        + "(condition PointInTimeRecovery=False, NotImplemented) and not acted on. For RDS and Cloud SQL use the provider's PITR.")
        PointInTimeRecovery pointInTimeRecovery,
    @Default("{}") @JsonPropertyDescription("Automated restore tests.") RestoreTest restoreTest,
    @Default("{}") @JsonPropertyDescription("How the logical dump (pg_dump) is compressed and how its restores (restore tests, "
        + "bootstrap) run.") LogicalDump logicalDump,
    @Default("false") @JsonPropertyDescription("Pause scheduling; running work finishes.") Boolean suspend) {

  public enum Tier {
    @JsonProperty("hourly") HOURLY,
    @JsonProperty("daily") DAILY,
    @JsonProperty("weekly") WEEKLY,
    @JsonProperty("monthly") MONTHLY
  }

  @ValidationRule(value = "!has(self.cron) || self.cron.matches(r\"" + ApiPatterns.CRON + "\")", fieldPath = ".cron",
      message = "cron " + ApiPatterns.CRON_MESSAGE)
  @ValidationRule(value = "!has(self.cron) || !self.cron.matches(r\"" + ApiPatterns.CRON_BOTH_DAYS + "\")", fieldPath = ".cron",
      message = "cron " + ApiPatterns.CRON_BOTH_DAYS_MESSAGE)
  @ValidationRule(value = "!has(self.timeZone) || self.timeZone.matches(r\"" + ApiPatterns.TIME_ZONE + "\")", fieldPath = ".timeZone",
      message = "timeZone " + ApiPatterns.TIME_ZONE_MESSAGE)
  @ValidationRule(value = "!has(self.window) || self.window.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".window",
      message = "window " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  @ValidationRule(value = "!has(self.retention) || self.retention.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".retention",
      message = "retention " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  public record BackupSchedule(
      @Required @JsonPropertyDescription("Retention tier of backups taken by this schedule.") Tier tier,
      @Required @Size(max = 128) @JsonPropertyDescription("When a backup is due, in timeZone: a CronJob schedule (\"0 3 * * *\", @daily) or a "
          + "Quartz cron (\"0 0 3 * * ?\").") String cron,
      @Default("UTC") @Size(max = 64) @JsonPropertyDescription("Time zone of cron.") String timeZone,
      @Default("1h") @Size(max = 16)
          @JsonPropertyDescription("A missed fire still runs within this long after it; later it is recorded as missed. The "
              + "backup's pg_dump must also finish within this long: it is stopped (and the backup failed) otherwise.")
          String window,
      @Required @Size(max = 16) @JsonPropertyDescription("How long backups of this tier are kept.")
          String retention,
      @Default("false") @JsonPropertyDescription("Copy each backup of this tier to secondaryStorage.") Boolean copyToSecondary) {}

  @ValidationRule(value = "!has(self.bucket) || self.bucket.matches(r\"" + ApiPatterns.BUCKET + "\")", fieldPath = ".bucket",
      message = "bucket " + ApiPatterns.BUCKET_MESSAGE)
  @ValidationRule(value = "!has(self.prefix) || self.prefix.matches(r\"" + ApiPatterns.OBJECT_PREFIX + "\")", fieldPath = ".prefix",
      message = "prefix " + ApiPatterns.OBJECT_PREFIX_MESSAGE)
  @ValidationRule(value = "!has(self.endpoint) || self.endpoint.matches(r\"" + ApiPatterns.URL + "\")", fieldPath = ".endpoint",
      message = "endpoint " + ApiPatterns.URL_MESSAGE)
  @ValidationRule(value = "!has(self.region) || self.region.matches(r\"" + ApiPatterns.REGION + "\")", fieldPath = ".region",
      message = "region " + ApiPatterns.REGION_MESSAGE)
  @ValidationRule(value = "has(self.credentials) != (has(self.workloadIdentity) && self.workloadIdentity)",
      message = "set credentials, or workloadIdentity: true to use the operator's own cloud identity (not both)")
  public record ObjectStorage(
      @Required @Size(max = 63) @JsonPropertyDescription("Bucket name.") String bucket,
      @Size(max = 512) @JsonPropertyDescription("Key prefix, ending in '/'. For backups it defaults to "
          + "<namespace>/<policy name>/, so policies sharing a bucket keep apart; whatever the prefix, a policy lists, expires and "
          + "removes only objects named like its own backups directly under it, never those under another policy's longer "
          + "prefix. Exports default to the bucket root (their keys carry namespace, name and uid).") String prefix,
      @Size(max = 512) @JsonPropertyDescription("S3-compatible endpoint; the provider's default when empty.")
          String endpoint,
      @Default("us-east-1") @Size(max = 64) @JsonPropertyDescription("Region.") String region,
      @Default("true") @JsonPropertyDescription("Path-style addressing (MinIO and most S3-compatible servers).") Boolean pathStyle,
      @JsonPropertyDescription("Secret with accessKeyId and secretAccessKey.") S3Credentials credentials,
      @JsonPropertyDescription("Use the operator's own cloud identity (IAM roles for service accounts, workload identity) "
          + "instead of credentials. Never implied: without credentials this must be true, so a resource cannot borrow the "
          + "operator's identity by omission.") Boolean workloadIdentity) {}

  @ValidationRule(value = "!has(self.secretName) || self.secretName.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".secretName",
      message = "secretName " + ApiPatterns.K8S_NAME_MESSAGE)
  public record S3Credentials(
      @Required @Size(max = 253) @JsonPropertyDescription("Name of the Secret in the resource's namespace.")
          String secretName,
      @Default("accessKeyId") @JsonPropertyDescription("Key holding the S3 access key id.") String accessKeyIdKey,
      @Default("secretAccessKey") @JsonPropertyDescription("Key holding the S3 secret access key.") String secretAccessKeyKey) {}

  @ValidationRule(value = "!has(self.keyId) || self.keyId.matches(r\"" + ApiPatterns.KEY_ID + "\")", fieldPath = ".keyId",
      message = "keyId " + ApiPatterns.KEY_ID_MESSAGE)
  public record Encryption(
      @Required @JsonPropertyDescription("Key-encryption key (32 bytes, base64) that wraps each backup's data key.")
          SecretKeyRef keyEncryptionKey,
      @Size(max = 64) @JsonPropertyDescription("Id of the key, recorded in every manifest for rotation.")
          String keyId,
      @Size(max = 8) @JsonPropertyDescription("Earlier key-encryption keys: backups they wrapped are re-wrapped with "
          + "keyEncryptionKey (manifests only, no re-upload). Remove one only when no backup needs it any more.")
          List<SecretKeyRef> previousKeys) {}

  @ValidationRule(value = "!has(self.retention) || self.retention.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".retention",
      message = "retention " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  public record PointInTimeRecovery(
      @Default("false") @JsonPropertyDescription("Archive WAL continuously so a restore can reach any moment within retention. "
          + "Not implemented yet: true only reports that it is not done.")
          Boolean enabled,
      @Default("7d") @Size(max = 16)
          @JsonPropertyDescription("How far back recovery would reach, once point-in-time recovery is implemented.")
          String retention) {}

  @ValidationRule(value = "!has(self.cron) || self.cron.matches(r\"" + ApiPatterns.CRON + "\")", fieldPath = ".cron",
      message = "cron " + ApiPatterns.CRON_MESSAGE)
  @ValidationRule(value = "!has(self.cron) || !self.cron.matches(r\"" + ApiPatterns.CRON_BOTH_DAYS + "\")", fieldPath = ".cron",
      message = "cron " + ApiPatterns.CRON_BOTH_DAYS_MESSAGE)
  @ValidationRule(value = "!has(self.timeZone) || self.timeZone.matches(r\"" + ApiPatterns.TIME_ZONE + "\")", fieldPath = ".timeZone",
      message = "timeZone " + ApiPatterns.TIME_ZONE_MESSAGE)
  @ValidationRule(value = "!has(self.window) || self.window.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".window",
      message = "window " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  @ValidationRule(value = "!has(self.rto) || self.rto.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".rto",
      message = "rto " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  @ValidationRule(value = "!has(self.rpo) || self.rpo.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".rpo",
      message = "rpo " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  public record RestoreTest(
      @Default("true") @JsonPropertyDescription("Restore the newest backup into a scratch database on schedule and check it.")
          Boolean enabled,
      @Default("0 0 5 1 * ?") @Size(max = 128) @JsonPropertyDescription("When a test is due, in timeZone: a CronJob schedule (\"0 5 1 * *\", @monthly) or "
          + "a Quartz cron (default \"0 0 5 1 * ?\": 05:00 on the 1st of each month).")
          String cron,
      @Default("UTC") @Size(max = 64) @JsonPropertyDescription("Time zone of cron (IANA name).")
          String timeZone,
      @Default("7d") @Size(max = 16) @JsonPropertyDescription("Catch-up rule: a fire "
          + "counts only if it comes after the policy's creation. A fire not run at its time (no backup to test yet, the "
          + "operator down, a failed attempt) runs once, as soon as it can, within this long after it; later it is recorded "
          + "as missed. Of several passed fires only the newest runs, so a long outage runs one test, not many.")
          String window,
      @Default("[\"restore_validation\",\"data_integrity_check\",\"recovery_time_measurement\"]") @Size(min = 1)
          @JsonPropertyDescription("Checks each restore test runs: the restore itself, row counts and checksums, and RTO/RPO.")
          List<Check> checks,
      @Default("4h") @Size(max = 16) @JsonPropertyDescription("Recovery time objective. "
          + "A restore test's pg_restore, and a bootstrap's from this policy's backups, is stopped when it runs longer.") String rto,
      @Default("24h") @Size(max = 16) @JsonPropertyDescription("Recovery point objective.") String rpo,
      @JsonPropertyDescription("A PostgreSQL server to restore into instead of the unit's own: the scratch database is created, "
          + "restored, checked and dropped there, so a test adds no load or disk use to the unit's server. Its database is the one "
          + "the operator connects to for CREATE/DROP DATABASE (e.g. postgres); its user needs CREATEDB and must be able to create "
          + "the unit's extensions (vector, amcheck: a superuser or the provider's admin role).")
          ExternalPostgres scratchInstance) {}

  public enum Check {
    @JsonProperty("restore_validation") RESTORE_VALIDATION,
    @JsonProperty("data_integrity_check") DATA_INTEGRITY_CHECK,
    @JsonProperty("recovery_time_measurement") RECOVERY_TIME_MEASUREMENT
  }

  public record LogicalDump(
      @Default("zstd") @JsonPropertyDescription("Compression of the dump: zstd (level 1, over pg_dump's uncompressed output, "
          + "several times faster than gzip at a similar size), gzip (pg_dump's own zlib at its default level: the format "
          + "of backups taken before this field existed, and the slowest) or none.") Compression compression,
      @Default("2") @Min(1) @Max(16) @JsonPropertyDescription("Processes a restore (restore test, bootstrap) may use to "
          + "build each index: the restore session's max_parallel_maintenance_workers is jobs - 1, in place of the server's "
          + "setting, and the server's max_parallel_workers still caps it. pg_restore itself streams the archive and builds "
          + "one index at a time. The dump is one pg_dump of one snapshot; compression and encryption run beside it in the "
          + "operator.") Integer jobs,
      @Default("1024") @Min(64) @Max(65536) @JsonPropertyDescription("maintenance_work_mem, in MiB, of a restore's "
          + "session: an index build (an HNSW build above all) whose working set fits in it runs many times faster. It is "
          + "memory of the server restored into (the unit's own, or restoreTest.scratchInstance), taken by the one index "
          + "being built (its parallel workers share it): keep it well below that server's free memory.")
          Integer restoreMemoryMiB) {}

  public enum Compression {
    @JsonProperty("zstd") ZSTD,
    @JsonProperty("gzip") GZIP,
    @JsonProperty("none") NONE
  }
}
