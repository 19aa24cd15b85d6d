/* Test-only entry point: serves the API alone on 127.0.0.1:0 (or --listen), prints the
 * bound port on standard output, and stops when standard input closes.
 *   api_server --db PATH --credentials FILE [--config FILE] [--listen ADDRESS] */
#include "api/api.h"
#include "config/config.h"

#include <stdio.h>
#include <string.h>

struct options {
    const char *db, *credentials, *config, *listen;
};

static bool parse_options(int argc, char **argv, struct options *options)
{
    *options = (struct options){.listen = "127.0.0.1:0"};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            options->db = argv[i + 1];
        else if (strcmp(argv[i], "--credentials") == 0)
            options->credentials = argv[i + 1];
        else if (strcmp(argv[i], "--config") == 0)
            options->config = argv[i + 1];
        else if (strcmp(argv[i], "--listen") == 0)
            options->listen = argv[i + 1];
        else
            return false;
    }
    return options->db && options->credentials && argc % 2 == 1;
}

static int serve(const struct options *options, const struct config *config)
{
    struct api_error error;
    struct api_credentials credentials;
    if (!api_credentials_load(options->credentials, &credentials, &error)) {
        fprintf(stderr, "api_server: %s\n", error.message);
        return 1;
    }
    struct api_settings settings = {.listen = options->listen,
                                    .db_path = options->db,
                                    .config = config,
                                    .credentials = &credentials};
    struct api_server *server = api_server_start(&settings, &error);
    if (!server) {
        fprintf(stderr, "api_server: %s\n", error.message);
        api_credentials_free(&credentials);
        return 1;
    }
    printf("%d\n", api_server_port(server));
    fflush(stdout);
    while (getchar() != EOF)
        continue;
    api_server_stop(server);
    api_credentials_free(&credentials);
    return 0;
}

int main(int argc, char **argv)
{
    struct options options;
    if (!parse_options(argc, argv, &options)) {
        fprintf(stderr, "usage: api_server --db PATH --credentials FILE [--config FILE] "
                        "[--listen ADDRESS]\n");
        return 2;
    }
    struct config config;
    struct config_error config_error;
    if (!config_init(&config))
        return 1;
    if (options.config && !config_load(options.config, &config, &config_error)) {
        fprintf(stderr, "api_server: %s\n", config_error.message);
        config_free(&config);
        return 1;
    }
    int status = serve(&options, &config);
    config_free(&config);
    return status;
}
