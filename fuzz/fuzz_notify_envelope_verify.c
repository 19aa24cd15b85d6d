/* libFuzzer target: read the input as an SNS envelope (§4.2–4.4) and check its signature
 * (§4.5) against a fixed certificate, as a subscriber does. The seeds in
 * fuzz/corpus/notify_envelope_verify/ are envelopes signed with that certificate's key
 * (made once with `openssl req -x509 -newkey rsa:2048`; the key is not kept), so mutations
 * start from documents that verify. A failure must say why; a success must be repeatable. */
#include "fuzz_text.h"
#include "notify/notify.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char certificate_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDQTCCAimgAwIBAgIUcuybBfM0ntJNBb6GEskxntOwg+owDQYJKoZIhvcNAQEL\n"
    "BQAwLzETMBEGA1UECgwKdHJhaWxob3VuZDEYMBYGA1UEAwwPdHJhaWxob3VuZCBm\n"
    "dXp6MCAXDTI2MTEyNjE4NDEzNFoYDzIxMjYxMTAyMTg0MTM0WjAvMRMwEQYDVQQK\n"
    "DAp0cmFpbGhvdW5kMRgwFgYDVQQDDA90cmFpbGhvdW5kIGZ1enowggEiMA0GCSqG\n"
    "SIb3DQEBAQUAA4IBDwAwggEKAoIBAQCyQFPM3sFRacOkGQd6/212/aRCzSHZrjgt\n"
    "dVyaBHp0UAR50myYemqkFqBYGGVzAapBkrY7pVslNbNkL/olZEHrLDfk8OTLy7jI\n"
    "UgQ83ZHNYvEKxFnEo5zsX2/JklBb3VmA8ofrE/ABchwl3GW2Fx1uxx3UP1JDoxED\n"
    "4LvX9+xO9Dp6XNE9CqwunFLkjOwbTdjAQsZ1NSXOrJ1lbGxPith03H8V8SbStrnX\n"
    "Dtcvuqi2h0jTW6zvRnVvX9uKzk9WM+rsV5Cr5KaE7sd04cMisPmSwoi11bVqEoEk\n"
    "R71bqnQ7WBttck8Xt9za0uRLEg46AjrfNgno1dvACRi26cJVnPCrAgMBAAGjUzBR\n"
    "MB0GA1UdDgQWBBSibvEsYBGNEFkP3qaFmAUcj3MduzAfBgNVHSMEGDAWgBSibvEs\n"
    "YBGNEFkP3qaFmAUcj3MduzAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUA\n"
    "A4IBAQCOQMGjZv7wBQvZZg5oVolHbv2u4nDjzNdiHir79OxQIR3mnaHhWFNtXlVz\n"
    "lZ/CZs7yqcLDPsab4iY+FUtWVMtVOfaYeLiz3Wl9KJCOL72542HmTqOgm2CRora4\n"
    "Ymhar3QGHG2L4E4f0H0q2piGbRc5MCSM1mkxp1VJw88SxSfsVVWpO4GdIqH8BHCL\n"
    "OhGsT7dWW0KPOBFvQISwLuzfA7Pxaho36BloHh33UqQ4tGDQXv5/3EIn2Q9gUD3r\n"
    "cUcceqLWRHbdFQqKhFuRUTyq9Uz50OMqoQ0bQ+HPwESGwO3tWM/OjGgoqFWCBfyK\n"
    "AyFh+hbzUMLoYREsZoEJT9zgo7VG\n"
    "-----END CERTIFICATE-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct notify_error error = {{0}};
    bool valid = notify_envelope_verify(text, certificate_pem, &error);
    if (!valid && error.message[0] == '\0')
        __builtin_trap(); /* every failure says why */
    if (valid && !notify_envelope_verify(text, certificate_pem, &error))
        __builtin_trap();
    free(text);
    return 0;
}
