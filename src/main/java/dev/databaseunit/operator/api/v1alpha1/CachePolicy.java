package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** How one type of cached data behaves: its TTL, how writes reach Redis and what invalidates it. */
@ValidationRule(value = "self.invalidation != 'event-driven' || (has(self.sourceTable) && has(self.keyColumn))",
    message = "event-driven invalidation needs sourceTable and keyColumn")
@ValidationRule(value = "!has(self.dataType) || self.dataType.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".dataType",
    message = "dataType " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
@ValidationRule(value = "!has(self.ttl) || self.ttl.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".ttl",
    message = "ttl " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
@ValidationRule(value = "!has(self.sourceTable) || self.sourceTable.matches(r\"" + ApiPatterns.SQL_TABLE + "\")", fieldPath = ".sourceTable",
    message = "sourceTable " + ApiPatterns.SQL_TABLE_MESSAGE)
@ValidationRule(value = "!has(self.keyColumn) || self.keyColumn.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".keyColumn",
    message = "keyColumn " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
public record CachePolicy(
    @Required @Size(max = 63) @JsonPropertyDescription("Data type, the middle part of the key.")
        String dataType,
    @Required @Size(max = 16) @JsonPropertyDescription("Time to live of a key, e.g. 30m; must be > 0.")
        String ttl,
    @Required @JsonPropertyDescription("How the application writes this type.") Strategy strategy,
    @Required @JsonPropertyDescription("What removes stale keys.") InvalidationMode invalidation,
    @Size(max = 127) @JsonPropertyDescription("Table whose changes invalidate keys (event-driven).")
        String sourceTable,
    @Size(max = 63) @JsonPropertyDescription("Column of sourceTable that is the key's id.")
        String keyColumn) {

  public enum Strategy {
    @JsonProperty("write-through") WRITE_THROUGH,
    @JsonProperty("write-behind") WRITE_BEHIND,
    @JsonProperty("cache-aside") CACHE_ASIDE
  }

  public enum InvalidationMode {
    @JsonProperty("event-driven") EVENT_DRIVEN,
    @JsonProperty("time-based") TIME_BASED,
    @JsonProperty("manual") MANUAL
  }
}
