// The first example of bindings/go/README.md (tests/readme_test.go checks that the README shows
// this file and that it prints what the README says).
package main

import (
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	retold "github.com/retold/retold/bindings/go"
)

func main() {
	wire := "PARIS, March 5 (Reuters) - France has invited the foreign and defense ministers of " +
		"Ukraine's main allies and the NATO secretary general to a video call on Thursday to " +
		"show a united front and develop concrete proposals to strengthen support for Kyiv."
	retelling := "France has invited the foreign and defense ministers of Ukraine's main allies and " +
		"the NATO secretary general to a video call on Thursday to show a united front and " +
		"develop concrete proposals to strengthen support for Kyiv, UNN reports."
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }

	d, err := retold.New(retold.WithSourcePriority("Reuters", "AP", "AFP"))
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	if _, err := d.Add(retold.Document{ID: "reuters-1", Text: wire, Source: "Reuters",
		Timestamp: at("2024-03-05T09:05:00Z")}); err != nil {
		log.Fatal(err)
	}
	r, err := d.Add(retold.Document{ID: "unn-1", Text: retelling, Source: "UNN",
		Timestamp: at("2024-03-05T11:40:00Z")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.NewStory, r.ClusterID, r.Leader.Decision) // false 1 model

	rep, _ := d.RepresentativeOf("unn-1")
	fmt.Println(rep) // reuters-1

	// a third outlet's copy: what is stored that tells the same story? (nothing is added)
	matches, _ := d.Query(strings.Replace(retelling, "UNN", "Ukrinform", 1), &retold.QueryOptions{TopK: 5})
	for _, m := range matches {
		fmt.Println(m.ID, m.ClusterID, m.Scores.Accepted()) // unn-1 1 true, then reuters-1 1 true
	}

	results, _ := d.AddBatch([]retold.Document{
		{ID: "ap-1", Text: "Bayern beat Lazio 3-0.", Source: "AP"},
		{ID: "unn-1", Text: "a duplicate id"},
	})
	fmt.Println(results[0].OK(), errors.Is(results[1].Err, retold.ErrDuplicate)) // true true

	stories, _ := d.Clusters(2)
	for _, s := range stories {
		fmt.Println(s.ID, s.MemberIDs()) // 1 [reuters-1 unn-1]
	}

	if err := d.Save("state"); err != nil {
		log.Fatal(err)
	}
	again, err := retold.Load("state", retold.WithTimeWindow(72*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	defer again.Close()
	id, _ := again.ClusterOf("unn-1")
	fmt.Println(id) // 1

	_, err = again.ClusterOf("nobody")
	fmt.Println(errors.Is(err, retold.ErrNotFound)) // true
}
