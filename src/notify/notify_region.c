/* Region long names as CloudWatch writes them in alarm messages (notifications.md §2.5).
 * CloudWatch keeps its older spelling ("EU (Ireland)", not "Europe (Ireland)"). The table
 * is data: add a row when a real message shows a new region. Regions not in it are
 * written as their code, never as a guessed name. */
#include "notify/notify.h"

#include <string.h>

struct region_name {
    const char *code;
    const char *long_name;
};

static const struct region_name region_names[] = {
    /* seen in real messages [obs] */
    {"us-east-1", "US East (N. Virginia)"},
    {"us-west-2", "US West (Oregon)"},
    {"us-west-1", "US West (N. California)"},
    {"eu-west-1", "EU (Ireland)"},
    {"ap-northeast-1", "Asia Pacific (Tokyo)"},
    {"ap-northeast-2", "Asia Pacific (Seoul)"},
    {"ap-southeast-2", "Asia Pacific (Sydney)"},
    {"ca-central-1", "Canada (Central)"},
    /* inferred from CloudWatch's naming, not yet seen in a message [inf] */
    {"us-east-2", "US East (Ohio)"},
    {"eu-central-1", "EU (Frankfurt)"},
    {"eu-west-2", "EU (London)"},
    {"eu-west-3", "EU (Paris)"},
    {"eu-north-1", "EU (Stockholm)"},
    {"ap-southeast-1", "Asia Pacific (Singapore)"},
    {"ap-south-1", "Asia Pacific (Mumbai)"},
    {"sa-east-1", "South America (Sao Paulo)"},
};

const char *notify_region_long_name(const char *region)
{
    if (!region)
        return "";
    for (size_t i = 0; i < sizeof region_names / sizeof region_names[0]; i++)
        if (strcmp(region_names[i].code, region) == 0)
            return region_names[i].long_name;
    return region;
}
