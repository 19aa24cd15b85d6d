/* Small text helpers with no stage logic, for any stage: the value of a hex digit. */
#ifndef TRAILHOUND_BASE_TEXT_H
#define TRAILHOUND_BASE_TEXT_H

/* 0-15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other character. */
int hex_digit_value(char c);

#endif
