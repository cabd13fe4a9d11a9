package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record GdprRequestStatus(
    @JsonPropertyDescription("The metadata.generation this status describes.") Long observedGeneration,
    @SchemaFrom(type = ConditionSchema[].class) @JsonPropertyDescription("Ready, Progressing and Degraded, with reasons.")
        List<Condition> conditions,
    @JsonPropertyDescription("Pending, Running or Completed. A request that cannot go on keeps its phase and is Degraded, "
        + "retried with backoff.") String phase,
    @JsonPropertyDescription("When the operator started the request, RFC 3339.") String startTime,
    @JsonPropertyDescription("When the request completed, RFC 3339.") String completionTime,
    @JsonPropertyDescription("sha256 of the subject id, as written to the audit trail and the erasure ledger.")
        String subjectHash,
    @JsonPropertyDescription("Result of an Export request.") ExportResult export,
    @JsonPropertyDescription("Result of an Erase request.") ErasureResult erasure) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ExportResult(
      @JsonPropertyDescription("Where the export was written, e.g. s3://bucket/prefix/key.") String location,
      @JsonPropertyDescription("sha256 of the export file, hex.") String sha256,
      @JsonPropertyDescription("Size of the export file in bytes.") Long sizeBytes,
      @JsonPropertyDescription("Rows exported per table.") Map<String, Long> rowCounts,
      @JsonPropertyDescription("When the export is deleted (the export time plus spec.exportTtl), RFC 3339.") String expiresAt,
      @JsonPropertyDescription("True once the export has been deleted at its expiry.") Boolean expired) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ErasureResult(
      @JsonPropertyDescription("Rows deleted (or, for a dry run, that would be) per table.") Map<String, Long> deletedRows,
      @JsonPropertyDescription("True when nothing was deleted and deletedRows are what would have been.") Boolean dryRun,
      @JsonPropertyDescription("Cache keys of the subject removed from Redis.") Long cacheKeysInvalidated,
      @JsonPropertyDescription("Id of the erasure-ledger entry re-applied after any restore.") String ledgerEntry) {}
}
