/* Operations not served yet. */
#include "api/api_internal.h"

void api_sns_publish(struct api_call *call)
{
    api_fail(call, 400, "InvalidAction", "Publish is not served yet.");
}
