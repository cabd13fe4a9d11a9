package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@ValidationRule(value = "!has(self.database) || self.database.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".database",
    message = "database " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
@ValidationRule(value = "!has(self.storageSize) || self.storageSize.matches(r\"" + ApiPatterns.STORAGE_QUANTITY + "\")", fieldPath = ".storageSize",
    message = "storageSize " + ApiPatterns.STORAGE_QUANTITY_MESSAGE)
public record ManagedPostgres(
    @Required @Size(max = 63) @JsonPropertyDescription("Name of the application database to create.")
        String database,
    @Default("pgvector/pgvector:0.8.0-pg17") @JsonPropertyDescription("A PostgreSQL image with pgvector and pg_stat_statements. "
        + "Its entrypoint is not used: the operator's start script needs sh, initdb, pg_ctl, psql, pg_isready and postgres on PATH, run as uid 999 "
        + "(the user postgres), as in the upstream pgvector/pgvector and postgres (Debian) images; docs/managed-images.md.")
        String image,
    @Default("10Gi") @Size(max = 16) @JsonPropertyDescription("Size of the data volume.")
        String storageSize,
    @JsonPropertyDescription("StorageClass of the data volume; the cluster default when empty.") String storageClassName) {}
