package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record GdprRequestStatus(
    Long observedGeneration,
    List<Condition> conditions,
    @JsonPropertyDescription("Pending, Running, Completed or Failed.") String phase,
    String startTime,
    String completionTime,
    @JsonPropertyDescription("sha256 of the subject id, as written to the audit trail and the erasure ledger.")
        String subjectHash,
    ExportResult export,
    ErasureResult erasure) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ExportResult(
      String location, String sha256, Long sizeBytes, Map<String, Long> rowCounts, String expiresAt, Boolean expired) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ErasureResult(
      @JsonPropertyDescription("Rows deleted (or, for a dry run, that would be) per table.") Map<String, Long> deletedRows,
      Boolean dryRun,
      Long cacheKeysInvalidated,
      @JsonPropertyDescription("Id of the erasure-ledger entry re-applied after any restore.") String ledgerEntry) {}
}
