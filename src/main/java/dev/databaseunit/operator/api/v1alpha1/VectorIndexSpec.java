package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * One HNSW index. The defaults are the seed's (m=16, ef_construction=64, cosine distance), with ef_search tuned from the
 * seed's 40 up to a recall target.
 */
@ValidationRule(value = "self.efConstruction >= 2 * self.m", message = "efConstruction must be at least 2*m",
    fieldPath = ".efConstruction")
@ValidationRule(value = "!has(self.name) || self.name.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".name",
    message = "name " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
@ValidationRule(value = "!has(self.table) || self.table.matches(r\"" + ApiPatterns.SQL_TABLE + "\")", fieldPath = ".table",
    message = "table " + ApiPatterns.SQL_TABLE_MESSAGE)
@ValidationRule(value = "!has(self.column) || self.column.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".column",
    message = "column " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
@ValidationRule(value = "!has(self.analyzeSchedule) || self.analyzeSchedule.matches(r\"" + ApiPatterns.CRON + "\")", fieldPath = ".analyzeSchedule",
    message = "analyzeSchedule " + ApiPatterns.CRON_MESSAGE)
@ValidationRule(value = "!has(self.analyzeSchedule) || !self.analyzeSchedule.matches(r\"" + ApiPatterns.CRON_BOTH_DAYS + "\")", fieldPath = ".analyzeSchedule",
    message = "analyzeSchedule " + ApiPatterns.CRON_BOTH_DAYS_MESSAGE)
@ValidationRule(value = "!has(self.autoRebuild) || !self.autoRebuild || (has(self.rebuildIn) && self.rebuildIn == 'MaintenanceWindow')",
    fieldPath = ".autoRebuild", message = "autoRebuild needs rebuildIn: MaintenanceWindow: a rebuild for recall runs only in a "
        + "MaintenanceWindow's OptimizeIndexes task")
public record VectorIndexSpec(
    @Required @Size(max = 63) @JsonPropertyDescription("Name of the index.") String name,
    @Required @Size(max = 127) @JsonPropertyDescription("Table holding the embeddings.") String table,
    @Required @Size(max = 63) @JsonPropertyDescription("Column of type vector(dimensions).")
        String column,
    @Required @Min(1) @Max(2000) @JsonPropertyDescription("Dimensions of the vector column; HNSW on vector supports up to 2000.")
        Integer dimensions,
    @Default("cosine") @JsonPropertyDescription("Distance: cosine (vector_cosine_ops), l2 (vector_l2_ops) or ip (vector_ip_ops).")
        Opclass opclass,
    @Default("16") @Min(2) @Max(100) @JsonPropertyDescription("HNSW m: links per node.") Integer m,
    @Default("64") @Min(4) @Max(1000) @JsonPropertyDescription("HNSW ef_construction: candidate list size while building.")
        Integer efConstruction,
    @Min(1) @Max(1000)
        @JsonPropertyDescription("A fixed hnsw.ef_search for the application's sessions. Unset (default): the recall probe "
            + "tunes it, the smallest from 40 (the seed's and pgvector's default) up to maxEfSearch that meets targetRecall.")
        Integer efSearch,
    @Default("0 0 4 * * ?") @Size(max = 128)
        @JsonPropertyDescription("When to ANALYZE the table, in UTC: a CronJob schedule (\"0 4 * * *\", @daily) or a Quartz "
            + "cron (default \"0 0 4 * * ?\": daily at 04:00).") String analyzeSchedule,
    @Default("Reconcile")
        @JsonPropertyDescription("When a parameter change (m, efConstruction, opclass, column) rebuilds the index. Reconcile "
            + "(default): at once, a replacement is built concurrently next to the serving index and swapped in. "
            + "MaintenanceWindow: only by the OptimizeIndexes task of a MaintenanceWindow selecting this unit (the same "
            + "build and swap, rolled back by swapping the old index back); until then the old index keeps serving and "
            + "status shows its parameters. A missing or invalid index is built at once in both modes.")
        ApplyIn rebuildIn,
    @Default("0.95") @Min(value = 0, inclusive = false) @Max(1)
        @JsonPropertyDescription("Recall@10 the index must reach against an exact scan, measured by the recall probe. It "
            + "chooses ef_search (unless efSearch fixes it); when no ef_search up to maxEfSearch reaches it, status reports "
            + "RecallTargetUnreachable with the measured curve: the graph needs a higher efConstruction or m, which the "
            + "operator changes only with autoRebuild.") Double targetRecall,
    @Default("400") @Min(40) @Max(1000)
        @JsonPropertyDescription("The highest hnsw.ef_search the probe tries for targetRecall: it bounds the latency "
            + "the operator may trade for recall.") Integer maxEfSearch,
    @Default("false")
        @JsonPropertyDescription("When true and no ef_search up to maxEfSearch reaches targetRecall, the operator raises the "
            + "graph one step (efConstruction doubled up to 512, m + 8 up to 48, never below the spec's) and the next "
            + "MaintenanceWindow's OptimizeIndexes task rebuilds the index with it (build next to the serving index, swap); "
            + "the rebuilt index is probed again, and another step follows while the target is missed. "
            + "status.vectorIndexes[].autoRebuild shows the parameters chosen. Needs rebuildIn: MaintenanceWindow.")
        Boolean autoRebuild) {

  public enum Opclass {
    @JsonProperty("cosine") COSINE,
    @JsonProperty("l2") L2,
    @JsonProperty("ip") IP
  }
}
