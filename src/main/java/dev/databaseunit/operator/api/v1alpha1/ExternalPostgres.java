package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

@ValidationRule(value = "!has(self.host) || self.host.matches(r\"" + ApiPatterns.HOST + "\")", fieldPath = ".host",
    message = "host " + ApiPatterns.HOST_MESSAGE)
@ValidationRule(value = "!has(self.database) || self.database.matches(r\"" + ApiPatterns.SQL_IDENTIFIER + "\")", fieldPath = ".database",
    message = "database " + ApiPatterns.SQL_IDENTIFIER_MESSAGE)
public record ExternalPostgres(
    @Required @Size(min = 1, max = 253) @JsonPropertyDescription("Host name or IP address of the server.") String host,
    @Default("5432") @Min(1) @Max(65535) @JsonPropertyDescription("TCP port of the server.") Integer port,
    @Required @Size(max = 63) @JsonPropertyDescription("Name of the application database.")
        String database,
    @Required @JsonPropertyDescription("Secret with the operator's database user and password.")
        CredentialsRef credentials,
    @Default("{}") @JsonPropertyDescription("TLS to the server.") PostgresTls tls) {}
