package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;

public record ManagedPostgres(
    @Required @Pattern(ApiPatterns.SQL_IDENTIFIER) @Size(max = 63) @JsonPropertyDescription("Name of the application database to create.")
        String database,
    @Default("pgvector/pgvector:0.8.0-pg17") @JsonPropertyDescription("A PostgreSQL image with pgvector and pg_stat_statements. Its entrypoint is not used: the "
        + "operator's start script needs sh, initdb, pg_ctl, psql, pg_isready and postgres on PATH, run as uid 999 "
        + "(the user postgres), as in the upstream pgvector/pgvector and postgres (Debian) images; docs/managed-images.md.")
        String image,
    @Default("10Gi") @Pattern(ApiPatterns.STORAGE_QUANTITY) @Size(max = 16) @JsonPropertyDescription("Size of the data volume.")
        String storageSize,
    @JsonPropertyDescription("StorageClass of the data volume; the cluster default when empty.") String storageClassName) {}
