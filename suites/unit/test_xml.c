/* Unit tests for xml.c: what JUnit and Check logs need, and refusals. */
#include "tg.h"
#include "tgtest.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

START_TEST(reads_elements_attributes_entities_and_cdata)
{
    const char *doc = "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE x>\n"
                      "<ns:root a=\"1 &amp; 2\" b='&#65;&#x42;&lt;'>\n"
                      "  <kid>t&gt;x<![CDATA[<raw & stuff>]]></kid><empty/>\n</ns:root>\n";
    char *err = NULL;
    tg_xml *x = tg_xml_parse(doc, strlen(doc), &err);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_null(err);
    ck_assert_str_eq(x->name, "root");
    ck_assert_str_eq(tg_xml_attr(x, "a"), "1 & 2");
    ck_assert_str_eq(tg_xml_attr(x, "b"), "AB<");
    ck_assert_str_eq(tg_xml_child_text(x, "kid"), "t>x<raw & stuff>");
    ck_assert_ptr_nonnull(tg_xml_child(x, "empty"));
    ck_assert_int_eq(tg_xml_child(x, "kid")->line, 5);
    tg_xml_free(x);
}
END_TEST

START_TEST(refuses_malformed_input_with_a_line)
{
    const char *bad[] = {"<a><b></a>", "<a>", "<a x=1/>", "<a>&bogus;</a>", "", "<a/><b/>",
                         "<a>\n\n<b>", "<a x=\"unterminated/>"};
    const char *want[] = {"does not match", "never closed", "without quotes", "unknown entity",
                          "expected an element", "after the root", "line 3", "unterminated"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        tg_xml *x = tg_xml_parse(bad[i], strlen(bad[i]), &err);
        ck_assert_msg(x == NULL, "accepted case %zu", i);
        ck_assert_msg(err && strstr(err, want[i]), "case %zu: %s", i, err);
        free(err);
    }
}
END_TEST

START_TEST(refuses_nesting_past_the_cap)
{
    tg_buf b;
    tg_buf_init(&b);
    for (int i = 0; i < 10000; i++)
        tg_buf_adds(&b, "<a>");
    char *err = NULL;
    ck_assert_ptr_null(tg_xml_parse(b.data, b.len, &err));
    ck_assert_ptr_nonnull(strstr(err, "nested too deep"));
    free(err);
    tg_buf_free(&b);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "parse");
    tgt_add(r, reads_elements_attributes_entities_and_cdata);
    tgt_add(r, refuses_malformed_input_with_a_line);
    tgt_add(r, refuses_nesting_past_the_cap);
}

TGT_MAIN("unit", tests)
