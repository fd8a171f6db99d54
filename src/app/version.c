/* --version: our version and the run-time versions of the libraries we link. */
#include "app/version.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <curses.h>
#include <yaml.h>

void version_print(FILE *f)
{
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

    fprintf(f, "kargotop %s\n", KARGOTOP_VERSION);
    fprintf(f, "  %s\n", curses_version());
    fprintf(f, "  libcurl %s (%s)\n", curl->version,
            curl->ssl_version ? curl->ssl_version : "no TLS");
    fprintf(f, "  cJSON %s\n", cJSON_Version());
    fprintf(f, "  libyaml %s\n", yaml_get_version_string());
}
