package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.List;

public record MigrationsSpec(
    @Size(min = 1, max = 16)
        @JsonPropertyDescription("ConfigMaps whose keys are Flyway migration files (V1__init.sql, ...), applied in version order.")
        List<@Pattern(ApiPatterns.K8S_NAME) @Size(max = 253) String> configMaps,
    @Default("public") @Pattern(ApiPatterns.SQL_IDENTIFIER) @Size(max = 63) @JsonPropertyDescription("Schema the migrations manage.")
        String schema,
    @Default("Reconcile")
        @JsonPropertyDescription("When pending migrations are applied. Reconcile (default): as soon as the operator sees them, "
            + "each migration in its own transaction. MaintenanceWindow: only by the SchemaUpdate task of a MaintenanceWindow "
            + "selecting this unit, all pending migrations in one transaction while PgBouncer holds the clients; between windows "
            + "the operator only validates the applied history and reports status.database.schemaVersion and pendingMigrations.")
        ApplyIn applyIn) {}
