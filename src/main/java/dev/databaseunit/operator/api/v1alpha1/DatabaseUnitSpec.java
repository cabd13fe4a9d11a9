package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

@ValidationRule(
    value = "!has(self.vectorIndexes) || self.vectorIndexes.all(i, self.vectorIndexes.exists_one(j, j.name == i.name))",
    message = "vectorIndexes names must be unique")
@ValidationRule(value = "!has(self.extensions) || self.extensions.all(x, x.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\"))", fieldPath = ".extensions",
    message = "each of extensions " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
public record DatabaseUnitSpec(
    @Required @JsonPropertyDescription("The PostgreSQL server and database this unit lives in.") PostgresSpec postgres,
    @Default("[\"vector\"]") @Size(max = 16) @JsonPropertyDescription("Extensions created in the database if missing.")
        List<@Size(max = 63) String> extensions,
    @JsonPropertyDescription("Flyway schema migrations applied to the database.") MigrationsSpec migrations,
    @Size(max = 16) @JsonPropertyDescription("pgvector HNSW indexes the operator builds and keeps tuned.")
        List<VectorIndexSpec> vectorIndexes,
    @JsonPropertyDescription("The PgBouncer pooler in front of the database, sized adaptively.") PoolerSpec pooler,
    @JsonPropertyDescription("The Redis cache and its per-data-type policies.") CacheSpec cache,
    @JsonPropertyDescription("Data subject tables for GdprRequests, in deletion order.") GdprSpec gdpr,
    @Default("{}") @JsonPropertyDescription("Metrics, alert rules and dashboards.") MonitoringSpec monitoring,
    @JsonPropertyDescription("Fill the (empty) database from a backup before anything else runs on it.")
        BootstrapSpec bootstrap) {}
