/* Operations not served yet. */
#include "api/api_internal.h"

bool api_log_groups_dispatch(struct api_call *call)
{
    (void)call;
    return false;
}

void api_sns_publish(struct api_call *call)
{
    api_fail(call, 400, "InvalidAction", "Publish is not served yet.");
}
